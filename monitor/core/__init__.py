"""Core: settings, the config file, the database, the models and storage (all SQL)."""
