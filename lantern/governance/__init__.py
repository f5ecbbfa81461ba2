"""Information governance: retention and disposal with legal holds, subject access, and the data protection view."""
