"""The PySide6 user interface. Only cli.py imports it, lazily."""
