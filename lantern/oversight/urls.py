"""Pages of the oversight app."""

app_name = "oversight"
urlpatterns: list = []
