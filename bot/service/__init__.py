"""The conversation service that no channel owns: turns under a per-key lock, written with
their inbox row and outbox rows in one transaction, delivered by a worker, and the scheduled
work (purge, follow-ups, reminders, expiry). Channels only translate."""
