"""Pages of the oversight app."""

from lantern.oversight import reviews_urls, complaints_urls

app_name = "oversight"
urlpatterns = [
    *reviews_urls.urlpatterns,
    *complaints_urls.urlpatterns,
]
