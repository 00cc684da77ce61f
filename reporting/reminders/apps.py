"""django-tasks-db as this product installs it: its queue without its admin pages.

The package registers an admin for its task results, in English only and outside the product's
access rules (every admin page here is scoped, translated and listed in the permissions table).
The queue is the workers' business: its rows are read with `manage.py shell` or the database,
and the reminders a cycle sent are its ``Reminder`` rows. Named in ``INSTALLED_APPS`` in place of
``django_tasks_db``.
"""

from django_tasks_db.apps import TasksAppConfig


class TaskQueueConfig(TasksAppConfig):
    def ready(self) -> None:
        super().ready()
        from django.contrib import admin
        from django_tasks_db.models import DBTaskResult

        if admin.site.is_registered(DBTaskResult):
            admin.site.unregister(DBTaskResult)
