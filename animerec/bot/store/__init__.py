"""Where members' data lives: SQLite by default, PostgreSQL for several processes."""
