"""Pages of the governance app."""

from lantern.governance.subject_access import urls as subject_access_urls

app_name = "governance"
urlpatterns = [
    *subject_access_urls.urlpatterns,
]
