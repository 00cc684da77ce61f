"""Every `manage.py` and `make` command the README shows works as written on a fresh local
installation, so the README cannot fall behind the product again.

Each shell line of the README's code blocks (and each inline `make …`) is read as the reader
would type it. A `manage.py` line runs with exactly its environment prefix and `--help`, in a
clean environment but for a temporary data folder, so the settings must start with what the
README sets and the command must exist; its arguments are then parsed as written by the
command's own parser. A `make` line is dry-run (`make -n`), so its target must exist.
"""

import os
import re
import shlex
import subprocess

import pytest
from django.conf import settings
from django.core.management import get_commands, load_command_class

from tests.helpers import RUN_SETTINGS

PROJECT = settings.BASE_DIR
README = (PROJECT / "README.md").read_text()
ASSIGNMENT = re.compile(r"[A-Z_][A-Z0-9_]*=")


def shell_lines(markdown: str) -> list[str]:
    """The command lines of the README: its sh code blocks, and inline `make …` spans."""
    lines = []
    for block in re.findall(r"^```sh\n(.*?)^```", markdown, flags=re.S | re.M):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #")[0].strip() if not line.lstrip().startswith("#") else ""
            if line:
                lines.append(line)
    lines += re.findall(r"`(make [a-z][\w-]*(?: [A-Z_]+=\S+)*)`", markdown)
    return lines


def split(line: str) -> tuple[dict[str, str], list[str]]:
    """The environment a line sets in front of its command, and the command."""
    words = shlex.split(line)
    env = {}
    while words and ASSIGNMENT.match(words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    return env, words


def is_manage_py(words: list[str]) -> bool:
    return len(words) >= 3 and words[0].endswith("python") and words[1] == "manage.py"


LINES = shell_lines(README)
MANAGE = [line for line in LINES if is_manage_py(split(line)[1])]
MAKE = [line for line in LINES if split(line)[1][:1] == ["make"]]


def clean_environment(data_dir) -> dict[str, str]:
    """The reader's shell: nothing of the tests' own settings, a data folder of its own."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith((*RUN_SETTINGS, "PORTFOLIO_", "IMPORT_", "PORT"))
    }
    return {**kept, "PORTFOLIO_DATA_DIR": str(data_dir)}


def test_the_readme_shows_the_commands_a_newcomer_needs():
    shown = {split(line)[1][2] for line in MANAGE}
    assert {"import_sheet", "backup", "restore"} <= shown
    assert {"make run", "make test", "make serve"} <= {" ".join(split(line)[1]) for line in MAKE}


@pytest.mark.parametrize("line", MANAGE)
def test_a_manage_py_command_of_the_readme_starts_as_written(line, tmp_path):
    result = subprocess.run(
        f"{line.split(' manage.py ')[0]} manage.py {split(line)[1][2]} --help",
        shell=True,
        cwd=PROJECT,
        env=clean_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: manage.py" in result.stdout


@pytest.mark.parametrize("line", MANAGE)
def test_a_manage_py_command_of_the_readme_takes_its_arguments_as_written(line, settings):
    # As the local installation has them: `db_worker` takes only a database queue.
    settings.TASKS = {
        **settings.TASKS,
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
    }
    name, *arguments = split(line)[1][2:]
    command = load_command_class(get_commands()[name], name)
    command.create_parser("manage.py", name).parse_args(arguments)  # CommandError if not


@pytest.mark.parametrize("line", MAKE)
def test_a_make_command_of_the_readme_names_a_target(line, tmp_path):
    env, words = split(line)
    result = subprocess.run(
        ["make", "-n", *words[1:]],
        cwd=PROJECT,
        env={**clean_environment(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_make_run_serves_on_the_port_it_is_given(tmp_path):
    result = subprocess.run(
        ["make", "-n", "run", "PORT=8123"],
        cwd=PROJECT,
        env=clean_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "manage.py runserver 127.0.0.1:8123" in result.stdout
    assert "http://127.0.0.1:8123/" in result.stdout  # the address it prints


def test_without_debug_a_readme_command_still_needs_the_production_key(tmp_path):
    # The prefix is what makes the README's commands work; production keeps refusing.
    result = subprocess.run(
        [".venv/bin/python", "manage.py", "backup", "--help"],
        cwd=PROJECT,
        env=clean_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
