"""Pages: link alerts, and why a mention belongs to its entity (with analysts' decisions)."""

from django.urls import path

from lantern.intel.linking import views

urlpatterns: list = [
    path("intel/alerts/", views.alert_list, name="alert_list"),
    path("intel/alerts/<int:alert_id>/", views.alert_detail, name="alert_detail"),
    path("intel/matches/<str:kind>/<int:mention_id>/", views.match_detail, name="match_detail"),
]
