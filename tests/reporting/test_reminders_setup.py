"""How the reminders are set up: mail and links from the environment, and `make run` starting the
worker and the scheduler beside the server, with its mail written to files."""

import subprocess

from django.conf import settings

from tests.test_readme_commands import clean_environment
from tests.test_setup import settings_in_subprocess

PROJECT = settings.BASE_DIR


def test_mail_links_and_tasks_come_from_the_environment(tmp_path):
    result = settings_in_subprocess(
        {
            "DJANGO_DEBUG": "1",
            "PORTFOLIO_DATA_DIR": str(tmp_path),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "SITE_URL": "https://portfolio.example.ac.jp/",
        },
        "print(settings.EMAIL_BACKEND, settings.EMAIL_FILE_PATH, settings.SITE_URL,"
        " settings.TASKS['default']['BACKEND'], settings.REMINDER_CHECK_MINUTES)",
    )
    assert result.stdout.split() == [
        "django.core.mail.backends.filebased.EmailBackend",
        str(tmp_path / "mail"),
        "https://portfolio.example.ac.jp",
        "django_tasks_db.DatabaseBackend",
        "15",
    ]


def test_smtp_and_a_local_site_by_default(tmp_path):
    result = settings_in_subprocess(
        {"DJANGO_DEBUG": "1", "PORTFOLIO_DATA_DIR": str(tmp_path)},
        "print(settings.EMAIL_BACKEND, settings.SITE_URL)",
    )
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "http://127.0.0.1:8000",
    ]


def test_make_run_starts_the_worker_and_the_scheduler_and_writes_mail_to_files(tmp_path):
    result = subprocess.run(
        ["make", "-n", "run"],
        cwd=PROJECT,
        env=clean_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    run = result.stdout[result.stdout.index("Serving on") :]
    assert "EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend" in run
    assert "manage.py db_worker" in run and "manage.py run_scheduler" in run
    # Both are stopped when the server stops.
    assert 'trap "kill $worker $scheduler' in run
    assert run.index("db_worker") < run.index("runserver")
