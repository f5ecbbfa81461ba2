"""Pages of the insights app."""

from lantern.insights import accountability_urls, statistics_urls

app_name = "insights"
urlpatterns = [
    *accountability_urls.urlpatterns,
    *statistics_urls.urlpatterns,
]
