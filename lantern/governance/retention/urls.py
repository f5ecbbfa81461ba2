"""Pages: retention, legal holds and disposal."""

from django.urls import path

from lantern.governance.retention import views

urlpatterns = [
    path("governance/retention/", views.retention_queue, name="retention_queue"),
    path("governance/retention/schedule/", views.retention_schedule, name="retention_schedule"),
    path("governance/retention/holds/", views.retention_holds, name="retention_holds"),
    path(
        "governance/retention/holds/<int:hold_id>/lift/",
        views.retention_hold_lift,
        name="retention_hold_lift",
    ),
    path(
        "governance/retention/<str:record_class>/<int:object_id>/",
        views.retention_record,
        name="retention_record",
    ),
    path(
        "governance/retention/<str:record_class>/<int:object_id>/retain/",
        views.retention_retain,
        name="retention_retain",
    ),
    path(
        "governance/retention/<str:record_class>/<int:object_id>/hold/",
        views.retention_hold,
        name="retention_hold",
    ),
    path(
        "governance/retention/<str:record_class>/<int:object_id>/dispose/",
        views.retention_dispose,
        name="retention_dispose",
    ),
]
