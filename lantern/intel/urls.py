"""Pages of the intel app."""

app_name = "intel"
urlpatterns: list = []
