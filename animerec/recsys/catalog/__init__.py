"""The catalog: titles as people type them, filters, franchises and works."""
