"""Pages: the accountability dashboard, data quality, and evidence passed and not acted on."""

from django.urls import path

from lantern.insights.accountability import views

urlpatterns: list = [
    path("insights/accountability", views.dashboard, name="accountability"),
    path("insights/accountability/records", views.records, name="accountability_records"),
    path("insights/accountability/not-acted-on", views.not_acted_on, name="not_acted_on"),
    path("insights/data-quality", views.data_quality, name="data_quality"),
]
