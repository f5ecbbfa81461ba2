"""Subject access requests: finding a person's records, redacting third parties, and the signed-off bundle."""
