"""Models: complaints and conduct matters."""
