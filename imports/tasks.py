"""The import engine's background task (django-tasks; `manage.py db_worker` runs it): the preview
or the confirmation of a sheet too large to be read and written within a request."""

from django.utils import translation
from django_tasks import TaskContext, task


@task(takes_context=True)
def run_batch(context: TaskContext, batch: int, language: str) -> str:
    """Run what an import batch waits for, in the language its steward reads (its refusals are
    kept in it); the status the batch ends in."""
    from imports.services import import_batch_run  # the doors queue this task

    with translation.override(language):
        return import_batch_run(batch=batch, task=str(context.task_result.id))
