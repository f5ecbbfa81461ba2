"""Pages of the governance app: the data protection view, retention's pages and subject access's pages."""

from django.urls import path

from lantern.governance import views
from lantern.governance.retention import urls as retention_urls
from lantern.governance.subject_access import urls as subject_access_urls

app_name = "governance"
urlpatterns = [
    path("governance/", views.data_protection, name="data_protection"),
    *retention_urls.urlpatterns,
    *subject_access_urls.urlpatterns,
]
