"""The front door's pages: the queue, screening, the decision, sign-off and the screening tool's settings."""

from django.urls import path

from lantern.frontdoor import views as frontdoor

app_name = "frontdoor"
urlpatterns = [
    path("front-door/", frontdoor.queue, name="queue"),
    path("front-door/clocks", frontdoor.clocks, name="clocks"),
    path("referrals/<int:referral_id>/screen", frontdoor.screen, name="screen"),
    path(
        "referrals/<int:referral_id>/screenings/<int:screening_id>",
        frontdoor.screening_result,
        name="screening_result",
    ),
    path("referrals/<int:referral_id>/decide", frontdoor.decide, name="decide"),
    path("decisions/<int:decision_id>/", frontdoor.decision_detail, name="decision_detail"),
    path("decisions/<int:decision_id>/sign-off", frontdoor.sign_off, name="sign_off"),
    path("settings/screening-tool", frontdoor.screening_tool, name="screening_tool"),
]
