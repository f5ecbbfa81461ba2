"""Models: the accountability dashboard and data quality."""
