"""Pages: independent reviews, allegations, case audits and review reports."""

from django.urls import path

from lantern.oversight.reviews import views

urlpatterns: list = [
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/new/", views.review_create, name="review_create"),
    path("reviews/<int:review_id>/", views.review_detail, name="review_detail"),
    path("reviews/<int:review_id>/close/", views.review_close, name="review_close"),
    path("reviews/<int:review_id>/reads/", views.review_reads, name="review_reads"),
    path("reviews/<int:review_id>/records/", views.review_records, name="review_records"),
    path("reviews/<int:review_id>/records.csv", views.review_export, name="review_export"),
    path(
        "reviews/<int:review_id>/intelligence/<int:item_id>/",
        views.review_intelligence,
        name="review_intelligence",
    ),
    path("reviews/<int:review_id>/search/", views.review_search, name="review_search"),
    path("reviews/<int:review_id>/allegations/new/", views.allegation_add, name="allegation_add"),
    path(
        "reviews/<int:review_id>/allegations/<int:allegation_id>/",
        views.allegation_detail,
        name="allegation_detail",
    ),
    path(
        "reviews/<int:review_id>/allegations/<int:allegation_id>/evidence/",
        views.evidence_add,
        name="evidence_add",
    ),
    path(
        "reviews/<int:review_id>/allegations/<int:allegation_id>/finding/",
        views.finding_add,
        name="finding_add",
    ),
    path(
        "reviews/<int:review_id>/allegations/<int:allegation_id>/sign-off/",
        views.finding_sign_off,
        name="finding_sign_off",
    ),
    path("reviews/<int:review_id>/audits/new/", views.audit_add, name="audit_add"),
    path("reviews/<int:review_id>/audits/<int:audit_id>/", views.audit_detail, name="audit_detail"),
    path(
        "reviews/<int:review_id>/audits/<int:audit_id>/cases/<int:item_id>/",
        views.audit_grade,
        name="audit_grade",
    ),
    path("reviews/<int:review_id>/reports/new/", views.report_generate, name="report_generate"),
    path("reviews/<int:review_id>/reports/<int:version>/", views.report_detail, name="report_detail"),
    path("reviews/<int:review_id>/reports/<int:version>.pdf", views.report_pdf, name="report_pdf"),
    path(
        "reviews/<int:review_id>/reports/<int:version>/sign-off/",
        views.report_sign_off,
        name="report_sign_off",
    ),
]
