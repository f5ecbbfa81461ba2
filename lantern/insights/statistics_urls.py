"""Pages: scale and trend, hotspots, charts and the transparency report."""

urlpatterns: list = []
