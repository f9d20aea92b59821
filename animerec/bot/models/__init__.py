"""The served model's life: loading, the hot swap, the training child process and its cooldown."""
