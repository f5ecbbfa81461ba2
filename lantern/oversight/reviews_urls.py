"""Pages: independent reviews, allegations, case audits and review reports."""

urlpatterns: list = []
