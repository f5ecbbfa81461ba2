"""Pages: the resourcing figures."""

from django.urls import path

from lantern.insights.resourcing import views

urlpatterns: list = [
    path("insights/resourcing", views.resourcing, name="resourcing"),
]
