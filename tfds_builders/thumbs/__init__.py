"""The `thumbs` dataset builder (see README.md)."""
