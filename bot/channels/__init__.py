"""Adapters at the edge: each renders the engine's replies its own way."""
