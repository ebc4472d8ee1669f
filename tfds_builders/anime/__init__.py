"""The `anime` dataset builder (see README.md)."""
