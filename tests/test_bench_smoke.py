"""Every benchmark in bench/ still runs: each script, at tiny sizes, in a process of its own.

A benchmark is run only now and then, by hand, so a change elsewhere can break it unnoticed
(the import benchmark stopped at its first preview for as long as its user had no role). Each
``bench/*.py`` must therefore:

- accept ``--smoke``: run every path it measures, at sizes that take seconds, on a throwaway
  database of its own (under DATABASE_URL's server where that is set, so CI runs it on SQLite and
  on PostgreSQL), and exit 0 unless something failed. Targets are not checked: tiny sizes say
  nothing about them;
- say, in a module-level ``SMOKE_TABLE = "…"``, the first words of the table it prints; the
  smoke run must print them.

A new script is picked up by the glob below; without ``--smoke`` or ``SMOKE_TABLE`` it fails here.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(path for path in BENCH.glob("*.py") if path.name != "__init__.py")
# Each smoke run takes seconds (about 10-15 s on two shared CPUs); this is for one that hangs.
TIMEOUT = 180


def smoke_table(script: Path) -> str | None:
    """The script's ``SMOKE_TABLE``, read from its source (importing it would run Django setup)."""
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.Assign | ast.AnnAssign):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        named = any(isinstance(t, ast.Name) and t.id == "SMOKE_TABLE" for t in targets)
        if named and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return node.value.value
    return None


def test_the_benchmarks_are_found():
    expected = {
        "import_bench.py",
        "dashboard_bench.py",
        "load.py",
        "background_import_bench.py",
        "reminders_bench.py",
        "admin_bench.py",
        "bulk_data.py",
    }
    assert expected <= {s.name for s in SCRIPTS}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_benchmark_runs_at_tiny_sizes(script):
    table = smoke_table(script)
    assert table, f"bench/{script.name} names no SMOKE_TABLE (the first words of its table)"
    env = {key: value for key, value in os.environ.items() if key != "PORTFOLIO_DATA_DIR"}
    try:
        result = subprocess.run(
            [sys.executable, str(script), "--smoke"],
            cwd=BENCH.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"bench/{script.name} --smoke ran for over {TIMEOUT} s:\n{error.stdout}")
    output = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    exited = f"bench/{script.name} --smoke exited {result.returncode}"
    assert result.returncode == 0, f"{exited}\n{output}"
    assert table in result.stdout, f"bench/{script.name} --smoke printed no “{table}”\n{output}"
