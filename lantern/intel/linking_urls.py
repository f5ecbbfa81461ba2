"""Pages: resolution: batch (splink) and real-time matching, analyst decisions, link alerts."""

urlpatterns: list = []
