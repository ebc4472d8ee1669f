"""The `faces` dataset builder (see README.md)."""
