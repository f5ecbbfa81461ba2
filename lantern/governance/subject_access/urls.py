"""Pages: subject access requests."""

from django.urls import path

from lantern.governance.subject_access import views

urlpatterns = [
    path("subject-access/", views.request_list, name="subject_access_list"),
    path("subject-access/new/", views.request_new, name="subject_access_new"),
    path("subject-access/<int:sar_id>/", views.request_detail, name="subject_access_detail"),
    path("subject-access/<int:sar_id>/records/", views.request_records, name="subject_access_records"),
    path("subject-access/<int:sar_id>/redactions/", views.request_redact, name="subject_access_redact"),
    path(
        "subject-access/<int:sar_id>/redactions/<int:redaction_id>/remove/",
        views.request_unredact,
        name="subject_access_unredact",
    ),
    path("subject-access/<int:sar_id>/extension/", views.request_extend, name="subject_access_extend"),
    path("subject-access/<int:sar_id>/sign-off/", views.request_sign_off, name="subject_access_sign_off"),
    path("subject-access/<int:sar_id>/bundle.pdf", views.request_bundle, name="subject_access_bundle"),
]
