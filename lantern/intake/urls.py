"""Referral pages for professionals, and the public report and track pages."""

from django.urls import path

from lantern.intake import views

app_name = "intake"
urlpatterns = [
    path("referrals/", views.referral_list, name="referral_list"),
    path("referrals/new", views.referral_new, name="referral_new"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="referral_detail"),
    path("report", views.report, name="report"),
    path("track", views.track, name="track"),
]
