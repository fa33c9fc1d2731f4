from django.apps import AppConfig

from .observability import connect_task_log


class LibConfig(AppConfig):
    """The library as an app only to connect the task log when Django starts."""

    name = "digitalesamt.lib"
    label = "digitalesamt_lib"

    def ready(self) -> None:
        connect_task_log()
