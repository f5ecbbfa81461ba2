"""Pages: the accountability dashboard and data quality."""

urlpatterns: list = []
