"""Storage engines behind one contract (bot/store.py): SQLite (default, one process, nothing
to set up) and PostgreSQL (`REPERE_DB=postgresql://…`, several instances)."""
