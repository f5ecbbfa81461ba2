"""Pages: intelligence items: submission, grading, sources, disclosure, import."""

urlpatterns: list = []
