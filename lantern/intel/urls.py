"""Pages of the intel app."""

from lantern.intel import items_urls, linking_urls, network_urls

app_name = "intel"
urlpatterns = [
    *items_urls.urlpatterns,
    *linking_urls.urlpatterns,
    *network_urls.urlpatterns,
]
