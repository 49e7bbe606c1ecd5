"""The pure dialogue core: flows, state, engine and replies. No Telegram, no SQLite, no clock."""
