"""Pages: scale and trend, hotspots, charts and the transparency report."""

from django.urls import path

from lantern.insights.statistics import views

urlpatterns: list = [
    path("insights/same-scale", views.same_scale, name="same_scale"),
    path("insights/scale", views.scale, name="scale"),
    path("insights/hotspots", views.hotspot_page, name="hotspots"),
    path("insights/hotspots/map", views.hotspot_map, name="hotspot_map"),
    path("insights/publish", views.publish_page, name="publish"),
    path("insights/publish/<int:report_id>/report.<str:fmt>", views.report_download, name="report_download"),
]
