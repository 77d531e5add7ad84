"""Liaison: a case and letter engine for schools' home-school policies."""

__version__ = "0.1.0"
