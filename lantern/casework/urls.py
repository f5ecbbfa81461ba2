"""Task, escalation, notification and case pages."""

from django.urls import path

from lantern.casework import views

app_name = "casework"
urlpatterns = [
    path("tasks/mine/", views.task_mine, name="task_mine"),
    path("tasks/team/", views.task_team, name="task_team"),
    path("tasks/<int:task_id>/", views.task_detail, name="task_detail"),
    path("tasks/<int:task_id>/status/", views.task_clock_partial, name="task_status"),
    path("tasks/<int:task_id>/acknowledge/", views.task_acknowledge, name="task_acknowledge"),
    path("tasks/<int:task_id>/assign/", views.task_assign, name="task_assign"),
    path("tasks/<int:task_id>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:task_id>/disagreement/", views.task_disagreement, name="task_disagreement"),
    path("escalations/", views.escalation_list, name="escalation_list"),
    path("escalations/<int:escalation_id>/", views.escalation_detail, name="escalation_detail"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification_read"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<int:case_id>/notes/new/", views.case_note_add, name="note_add"),
    path("cases/<int:case_id>/network/new/", views.network_member_add, name="network_add"),
    path("cases/<int:case_id>/involvements/new/", views.involvement_add, name="involvement_add"),
    path(
        "cases/<int:case_id>/conflicts/<int:conflict_id>/decision/",
        views.conflict_decide,
        name="conflict_decide",
    ),
    path(
        "cases/<int:case_id>/conflicts/<int:conflict_id>/sign-off/",
        views.conflict_sign_off,
        name="conflict_sign_off",
    ),
    path("cases/<int:case_id>/missing/new/", views.missing_episode_add, name="missing_add"),
    path(
        "cases/<int:case_id>/missing/<int:episode_id>/return/",
        views.missing_episode_return,
        name="missing_return",
    ),
    path(
        "cases/<int:case_id>/missing/<int:episode_id>/interview/",
        views.missing_episode_interview,
        name="missing_interview",
    ),
    path("cases/<int:case_id>/strategy/new/", views.strategy_discussion_add, name="strategy_add"),
    path("cases/<int:case_id>/flags/new/", views.flag_change_add, name="flag_change_add"),
    path("cases/<int:case_id>/flags/<int:change_id>/", views.flag_change_decide, name="flag_change"),
    path("cases/<int:case_id>/nrm/new/", views.nrm_referral_add, name="nrm_add"),
    path("cases/<int:case_id>/nrm/<int:nrm_id>/decision/", views.nrm_decision_add, name="nrm_decision"),
    path("cases/<int:case_id>/sharing/new/", views.information_share_add, name="share_add"),
    path("cases/<int:case_id>/break-glass/", views.case_break_glass, name="case_break_glass"),
    path("break-glass/", views.break_glass_review, name="break_glass_review"),
    path("break-glass/<int:use_id>/sign-off/", views.break_glass_sign_off, name="break_glass_sign_off"),
]
