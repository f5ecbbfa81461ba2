"""Pages: complaints and conduct matters."""

from django.urls import path

from lantern.oversight.complaints import views

urlpatterns = [
    path("complaints/", views.complaint_list, name="complaint_list"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/outcomes/", views.complaint_outcomes, name="complaint_outcomes"),
    path("complaints/<int:complaint_id>/", views.complaint_detail, name="complaint_detail"),
    path(
        "complaints/<int:complaint_id>/acknowledge/",
        views.complaint_acknowledge,
        name="complaint_acknowledge",
    ),
    path(
        "complaints/<int:complaint_id>/investigate/",
        views.complaint_investigate,
        name="complaint_investigate",
    ),
    path("complaints/<int:complaint_id>/respond/", views.complaint_respond, name="complaint_respond"),
    path("complaints/<int:complaint_id>/close/", views.complaint_close, name="complaint_close"),
    path("complaints/<int:complaint_id>/stage-two/", views.complaint_stage_two, name="complaint_stage_two"),
    path("complaints/<int:complaint_id>/handler/", views.complaint_handler, name="complaint_handler"),
    path("complaints/<int:complaint_id>/links/", views.complaint_link, name="complaint_link"),
    path(
        "complaints/<int:complaint_id>/learning-actions/new/",
        views.learning_action_new,
        name="learning_action_new",
    ),
    path(
        "complaints/<int:complaint_id>/learning-actions/<int:action_id>/complete/",
        views.learning_action_complete,
        name="learning_action_complete",
    ),
    path(
        "complaints/escalations/<int:escalation_id>/",
        views.stage_escalation_detail,
        name="stage_escalation_detail",
    ),
    path("complaints/conduct/", views.conduct_list, name="conduct_list"),
    path("complaints/conduct/new/", views.conduct_new, name="conduct_new"),
    path("complaints/conduct/about-me/", views.conduct_notice_list, name="conduct_notice_list"),
    path("complaints/conduct/about-me/<int:matter_id>/", views.conduct_notice, name="conduct_notice"),
    path("complaints/conduct/<int:matter_id>/", views.conduct_detail, name="conduct_detail"),
    path("complaints/conduct/<int:matter_id>/assess/", views.conduct_assess, name="conduct_assess"),
    path(
        "complaints/conduct/<int:matter_id>/external-acknowledgement/",
        views.conduct_external_acknowledged,
        name="conduct_external_acknowledged",
    ),
    path(
        "complaints/conduct/<int:matter_id>/external-decision/",
        views.conduct_external_decision,
        name="conduct_external_decision",
    ),
    path("complaints/conduct/<int:matter_id>/finding/", views.conduct_finding, name="conduct_finding"),
    path("complaints/conduct/<int:matter_id>/outcome/", views.conduct_outcome, name="conduct_outcome"),
    path("complaints/conduct/<int:matter_id>/notify/", views.conduct_notify, name="conduct_notify"),
]
