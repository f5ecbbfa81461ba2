"""Pages of the oversight app."""

from lantern.oversight.complaints import urls as complaints_urls
from lantern.oversight.reviews import urls as reviews_urls

app_name = "oversight"
urlpatterns = [
    *reviews_urls.urlpatterns,
    *complaints_urls.urlpatterns,
]
