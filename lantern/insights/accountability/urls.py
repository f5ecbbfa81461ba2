"""Pages: the accountability dashboard and data quality."""

from django.urls import path

from lantern.insights.accountability import views

urlpatterns: list = [
    path("insights/accountability", views.dashboard, name="accountability"),
    path("insights/accountability/records", views.records, name="accountability_records"),
    path("insights/data-quality", views.data_quality, name="data_quality"),
]
