"""Pages: complaints and conduct matters."""

urlpatterns: list = []
