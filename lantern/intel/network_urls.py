"""Pages: networks, entity pages, search, exports, contextual safeguarding, cross-agency signal."""

urlpatterns: list = []
