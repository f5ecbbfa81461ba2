"""Lantern: every concern about child sexual exploitation reaches an outcome."""

__version__ = "0.1.0"
