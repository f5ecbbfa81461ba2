"""Referral pages for professionals, and the public report and track pages."""

from django.urls import path

from lantern.intake import views

app_name = "intake"
PUBLIC = {"journey_name": "report"}
YOUNG_PERSON = {"journey_name": "me"}
urlpatterns = [
    path("referrals/", views.referral_list, name="referral_list"),
    path("referrals/new", views.referral_new, name="referral_new"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="referral_detail"),
    # The public report: a start page, question pages, "Check your answers"; and a young person's own report.
    path("report", views.report_start, name="report"),
    path("report/exit", views.report_exit, name="report_exit"),
    path("report/staying-safe-online", views.report_safety, name="report_safety"),
    path("report/me", views.report_me_start, name="report_me"),
    path("report/me/check-your-answers", views.report_check, YOUNG_PERSON, name="report_me_check"),
    path("report/me/<slug:slug>", views.report_step, YOUNG_PERSON, name="report_me_step"),
    path("report/check-your-answers", views.report_check, PUBLIC, name="report_check"),
    path("report/<slug:slug>", views.report_step, PUBLIC, name="report_step"),
    path("report/<slug:slug>/<int:item>", views.report_step, PUBLIC, name="report_item"),
    path("track", views.track, name="track"),
]
