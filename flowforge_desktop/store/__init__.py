"""SQLite execution history, workflow files, settings and secrets."""
