"""Pages of the governance app: the data protection view, and retention's pages."""

from django.urls import path

from lantern.governance import views
from lantern.governance.retention import urls as retention_urls

app_name = "governance"
urlpatterns = [
    path("governance/", views.data_protection, name="data_protection"),
    *retention_urls.urlpatterns,
]
