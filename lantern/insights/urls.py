"""Pages of the insights app."""

from lantern.insights.accountability import urls as accountability_urls
from lantern.insights.resourcing import urls as resourcing_urls
from lantern.insights.statistics import urls as statistics_urls

app_name = "insights"
urlpatterns = [
    *accountability_urls.urlpatterns,
    *resourcing_urls.urlpatterns,
    *statistics_urls.urlpatterns,
]
