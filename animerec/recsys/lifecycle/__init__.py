"""A model's life on disk: its meta, the published artifacts, and training one."""
