"""The synthetic borough: `lantern demo` loads it, `lantern generate` writes data sets from it."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo app."""

    name = "lantern.demo"
    label = "demo"
    verbose_name = "Demo borough"
