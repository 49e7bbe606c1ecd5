"""Repère: an orientation bot towards free trainings in Nouvelle-Aquitaine."""

__version__ = "0.1.0"
