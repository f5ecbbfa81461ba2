"""Pages of the intel app."""

from lantern.intel.items import urls as items_urls
from lantern.intel.linking import urls as linking_urls
from lantern.intel.network import urls as network_urls

app_name = "intel"
urlpatterns = [
    *items_urls.urlpatterns,
    *linking_urls.urlpatterns,
    *network_urls.urlpatterns,
]
