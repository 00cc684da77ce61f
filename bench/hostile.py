"""Hostile spreadsheets against the product's reader: each refused, quickly, in little memory.

For every file of ``bench/hostile_files.py`` (span bombs, shared-string amplification, repeat
bombs, lying and nested zips, DTDs, formulas and error values in other spellings, malformed
files) the script calls ``imports.formats.read_table`` in a process of its own and prints what
came back, how long it took and how much memory it took above the process's baseline.

Targets, per hostile file: refused (``SheetRefused``) with a message naming what was wrong (a
word of its class, ``hostile_files.KEYWORDS``), within 2 s and 150 MB above the baseline. Per
benign file (UTF-16 CSV, LibreOffice's trailing repeats, Excel's and other tools' ordinary
spellings): read, as ``hostile_files.BENIGN_ROWS``. The script exits non-zero when any file
fails.

    .venv/bin/python bench/hostile.py [--smoke] [--markdown] [--shared-process] [--timeout 60]
    .venv/bin/python bench/hostile.py --http [--smoke]

``--smoke`` takes the small catalogue and one set-up process for all files (a run of seconds,
for CI); it checks the refusals and the readings, not the time and memory targets. ``--http``
serves the product under gunicorn as ``make serve`` does, with the background worker
(``manage.py db_worker``) beside it, and uploads every file through the admin's import form
(``serve_and_upload``; ``tests/test_hostile_http.py`` runs it on the small catalogue): a file of
``IMPORT_BACKGROUND_BYTES`` or more is read by the worker, and refused on its batch's page.

How memory is measured. Each file is read in a process forked from one that has set Django up
and read a small file of each format (so the readers' modules are loaded): a fresh interpreter
per file by default, one shared set-up process with ``--smoke`` or ``--shared-process``. The
forked process's resident memory at the start is the baseline. Its peak is ``VmHWM`` after the
peak was reset to the baseline (``echo 5 > /proc/self/clear_refs``); ``ru_maxrss`` would not
do, since it keeps the peak of the process before the fork and survives ``exec``. The reader
forks a confined child of its own (``imports.isolation``), whose peak is ``RUSAGE_CHILDREN``'s
``ru_maxrss``; a forked child starts with every page of its parent counted in its RSS, so the
baseline is subtracted from it too. The figure given is the sum of the two growths (they do not
overlap in time by much: the parent waits while the child reads), an upper bound. A process
measuring a file may grow its address space by at most 2 GiB (``RLIMIT_AS``), and is killed
after ``--timeout`` seconds: a reader that fails takes down its own process, never the machine.
"""

import argparse
import contextlib
import gc
import html
import http.client
import json
import os
import re
import resource
import secrets
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.hostile_files import BENIGN_ROWS, PARTNER_HEADERS, Sample, benign, catalogue  # noqa: E402

SMOKE_TABLE = "Hostile spreadsheets"
TARGET_SECONDS = 2.0
TARGET_MB = 150.0
GUARD_BYTES = 2 << 30  # address space a measuring process may add: 2 GiB
SERVER_GUARD_BYTES = 6 << 30  # address space of each server process (gunicorn and its workers)


# --- Reading one file, in a process of its own ----------------------------------------------


def status_kb(field_name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1])
    raise LookupError(field_name)


def reset_peak() -> bool:
    """Make VmHWM the current RSS (Linux 4.0+); False where the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def set_up_django(data_dir: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["PORTFOLIO_DATA_DIR"] = data_dir
    import django

    django.setup()


def warm_up() -> None:
    """Read a small file of each format, so that the readers' modules count in the baseline."""
    from imports.formats import read_table

    for sample in benign():
        with contextlib.suppress(Exception):  # judged later, in a process of its own
            read_table(sample.name, sample.content)


def normalised(rows: list[list[object]]) -> list[list[str]]:
    """Cells as text, empty cells as "", without the empty cells that end a row."""
    cells = [["" if value is None else str(value) for value in row] for row in rows]
    for row in cells:
        while row and not row[-1]:
            row.pop()
    return cells


def measure(name: str, content: bytes) -> dict:
    """Read one file here; what came back, the time and the memory above this moment's."""
    from imports.formats import SheetRefused, read_table

    gc.collect()
    baseline_kb = status_kb("VmRSS")
    exact_peak = reset_peak()
    children_before_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    guard = status_kb("VmSize") * 1024 + GUARD_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (guard, resource.getrlimit(resource.RLIMIT_AS)[1]))
    result: dict = {"name": name}
    started = time.perf_counter()
    try:
        table = read_table(name, content)
    except SheetRefused as refusal:
        result.update(outcome="refused", message=str(refusal))
    except MemoryError:
        result.update(
            outcome="error", message="MemoryError: 2 GiB more address space was not enough"
        )
    except Exception as error:  # anything else is what the reader let through
        result.update(outcome="error", message=f"{type(error).__name__}: {error}")
    else:
        expected = table.headers == PARTNER_HEADERS and normalised(table.rows) == normalised(
            BENIGN_ROWS
        )
        result.update(
            outcome="read",
            message=f"{len(table.rows):,} rows of {len(table.headers)} columns",
            as_expected=expected,
        )
        del table
    result["seconds"] = time.perf_counter() - started
    peak_kb = status_kb("VmHWM")
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    child_growth = children_kb - baseline_kb if children_kb > children_before_kb else 0
    result.update(
        baseline_mb=baseline_kb / 1024,
        own_mb=max(0, peak_kb - baseline_kb) / 1024 if exact_peak else None,
        child_mb=max(0, child_growth) / 1024,
    )
    return result


def measure_in_fork(path: Path, name: str, timeout: float) -> dict:
    """``measure`` in a child forked from this (set-up) process, killed after ``timeout`` s."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)  # its own group: the reader's children end with it on a timeout
        os.close(read_end)
        try:
            payload = json.dumps(measure(name, path.read_bytes())).encode()
        except BaseException as error:
            payload = json.dumps(
                {"name": name, "outcome": "error", "message": repr(error)}
            ).encode()
        with os.fdopen(write_end, "wb") as out:
            out.write(payload)
        os._exit(0)
    os.close(write_end)
    chunks, deadline, timed_out = [], time.monotonic() + timeout, False
    with os.fdopen(read_end, "rb") as stream:
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([stream], [], [], max(0.0, left))
            if not ready:
                timed_out = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                break
            chunk = os.read(stream.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    _pid, status = os.waitpid(pid, 0)
    if timed_out:
        return {"name": name, "outcome": "error", "message": f"timed out after {timeout:.0f} s"}
    if not chunks:
        how = (
            f"signal {signal.Signals(os.WTERMSIG(status)).name}"
            if os.WIFSIGNALED(status)
            else f"exit status {os.WEXITSTATUS(status)}"
        )
        return {"name": name, "outcome": "error", "message": f"the process died ({how})"}
    return json.loads(b"".join(chunks))


def measuring_process(paths: list[Path], timeout: float) -> None:
    """The child's main: set up once, then measure each file in a fork; one JSON line each."""
    with tempfile.TemporaryDirectory(prefix="hostile-data-") as data_dir:
        set_up_django(data_dir)
        warm_up()
        for path in paths:
            name = path.name
            print(json.dumps(measure_in_fork(path, name, timeout)), flush=True)


# --- The run, in the parent -----------------------------------------------------------------


@dataclass
class Outcome:
    sample: Sample
    hostile: bool
    result: dict
    failures: list[str] = field(default_factory=list)

    @property
    def mb(self) -> float | None:
        own = self.result.get("own_mb")
        return None if own is None else own + self.result.get("child_mb", 0.0)


def judge(sample: Sample, hostile: bool, result: dict, targets: bool) -> Outcome:
    outcome = Outcome(sample, hostile, result)
    kind, message = result.get("outcome"), result.get("message", "")
    if hostile:
        if kind != "refused":
            outcome.failures.append("not refused" if kind == "read" else "not refused: error")
        elif not sample.names_what_is_wrong(message):
            outcome.failures.append(f"the message names none of {', '.join(sample.keywords)}")
    elif kind != "read":
        outcome.failures.append("not read")
    elif not result.get("as_expected"):
        outcome.failures.append("read, but not as BENIGN_ROWS")
    if targets and kind in ("refused", "read"):
        if result.get("seconds", 0) > TARGET_SECONDS:
            outcome.failures.append(f"over {TARGET_SECONDS:.0f} s")
        if outcome.mb is None:
            outcome.failures.append("memory not measured")
        elif outcome.mb > TARGET_MB:
            outcome.failures.append(f"over {TARGET_MB:.0f} MB")
    return outcome


def run_measurements(samples: list[Sample], *, shared: bool, timeout: float) -> list[dict]:
    """Each sample's ``measure`` result, from one child process or one per sample."""
    with tempfile.TemporaryDirectory(prefix="hostile-files-") as folder:
        paths = []
        for sample in samples:
            path = Path(folder) / sample.name
            path.write_bytes(sample.content)
            paths.append(path)
        groups = [paths] if shared else [[path] for path in paths]
        results = []
        for group in groups:
            results.extend(run_child(group, timeout))
            if not shared:
                print(".", end="", file=sys.stderr, flush=True)
        if not shared:
            print(file=sys.stderr)
        return results


def run_child(paths: list[Path], timeout: float) -> list[dict]:
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", "--timeout"]
    command += [str(timeout), *map(str, paths)]
    env = {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    env.pop("PORTFOLIO_DATA_DIR", None)
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors)
        results = {}
        try:
            for line in child.stdout:
                result = json.loads(line)
                results[result["name"]] = result
            child.wait(timeout=timeout + 60)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        errors.seek(0)
        tail = errors.read().decode(errors="replace").strip().splitlines()[-3:]
    missing = {
        "outcome": "error",
        "message": f"the measuring process ended (status {child.returncode}): {' | '.join(tail)}",
    }
    return [results.get(path.name, {**missing, "name": path.name}) for path in paths]


def shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def answer(outcome: Outcome, width: int) -> str:
    kind, message = outcome.result.get("outcome"), outcome.result.get("message", "")
    label = {"refused": "refused", "read": "read", "error": "ERROR"}.get(kind, "ERROR")
    return f"{label}: {shorten(message, width)}"


def print_table(outcomes: list[Outcome], title: str, markdown: bool) -> None:
    print(title)
    if markdown:
        print()
        print("| file | class | bytes | answer | s | MB | of which child | verdict |")
        print("| --- | --- | ---: | --- | ---: | ---: | ---: | --- |")
    else:
        header = f"{'file':46} {'class':18} {'bytes':>11}  {'s':>6} {'MB':>7} {'child':>6}"
        print(f"{header}  verdict  answer")
    for outcome in outcomes:
        sample, result = outcome.sample, outcome.result
        seconds = f"{result['seconds']:.2f}" if "seconds" in result else "-"
        mb = f"{outcome.mb:.1f}" if outcome.mb is not None else "-"
        child = f"{result['child_mb']:.1f}" if "child_mb" in result else "-"
        verdict = "PASS" if not outcome.failures else "FAIL: " + "; ".join(outcome.failures)
        if markdown:
            text = answer(outcome, 90).replace("|", "\\|")
            print(
                f"| `{sample.name}` | {sample.kind} | {len(sample.content):,} | {text} | "
                f"{seconds} | {mb} | {child} | {verdict} |"
            )
        else:
            print(
                f"{sample.name:46} {sample.kind:18} {len(sample.content):>11,}  {seconds:>6} "
                f"{mb:>7} {child:>6}  {verdict}  {answer(outcome, 100)}"
            )


def reading_run(args) -> int:
    hostile, ordinary = catalogue(small=args.smoke), benign()
    samples = hostile + ordinary
    results = run_measurements(
        samples, shared=args.smoke or args.shared_process, timeout=args.timeout
    )
    outcomes = [
        judge(sample, sample in hostile, result, targets=not args.smoke)
        for sample, result in zip(samples, results, strict=True)
    ]
    baseline = next((r["baseline_mb"] for r in results if "baseline_mb" in r), 0.0)
    title = (
        f"{SMOKE_TABLE}: {len(hostile)} hostile and {len(ordinary)} benign files "
        f"({'small' if args.smoke else 'full'} catalogue), read_table at revision {revision()}; "
        f"baseline RSS {baseline:.0f} MB"
    )
    print_table(outcomes, title, args.markdown)
    failed = [o for o in outcomes if o.failures]
    targets = (
        "refusals and readings only"
        if args.smoke
        else (f"refused and named, ≤ {TARGET_SECONDS:.0f} s, ≤ {TARGET_MB:.0f} MB; benign read")
    )
    print(f"\n{len(outcomes) - len(failed)} of {len(outcomes)} files pass ({targets}).")
    return 1 if failed else 0


def revision() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "imports"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head or 'unknown'}{' with uncommitted changes in imports/' if dirty else ''}"


# --- Uploading through the served product (gunicorn, as `make serve` runs it) ---------------

ADMIN = "hostile-admin"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FIELD_ERRORS = re.compile(r'<ul class="errorlist"[^>]*>(.*?)</ul>', re.S)
UPLOAD_PATH = "/admin/imports/importbatch/upload/"
PREVIEW_PATH = re.compile(r"^/admin/imports/importbatch/(\d+)/preview/$")
STATUS_PATH = "/admin/imports/importbatch/{}/status/"
FAILURE_NOTE = re.compile(r'<p class="errornote" id="import-failure">(.*?)</p>', re.S)
BACKGROUND_SECONDS = 120  # the longest a background run of one file may take here
ACCESS_LOG = re.compile(r'^\S+ - - \[[^]]+\] "[A-Z]+ ')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def server_env(data_dir: Path, port: int, workers: int) -> dict[str, str]:
    """The environment of `make serve` on a laptop (README, "Production"), nothing of ours."""
    clean = {
        key: value
        for key, value in os.environ.items()
        # (Nor Redis: a laptop's tasks wait in the database, for the db_worker started here.)
        if not key.startswith(
            ("DJANGO_", "DATABASE_", "GUNICORN_", "PORTFOLIO_", "IMPORT_", "REDIS_", "TASKS_")
        )
    }
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_STATIC_ROOT": str(data_dir / "static"),
        "PORTFOLIO_DATA_DIR": str(data_dir),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
    }


def manage(env: dict, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")


def limit_address_space() -> None:
    resource.setrlimit(
        resource.RLIMIT_AS, (SERVER_GUARD_BYTES, resource.getrlimit(resource.RLIMIT_AS)[1])
    )


@dataclass
class Server:
    """The product under gunicorn, started by `make serve`, on a free port of 127.0.0.1."""

    data_dir: Path
    database: Path | None = None  # a migrated SQLite file to start from; else `migrate` runs
    workers: int = 2
    port: int = 0
    password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    process: subprocess.Popen | None = None
    # The background worker beside the server, as `make run` and a production install run one
    # (README, "Background work"): it reads the uploads of IMPORT_BACKGROUND_BYTES or more.
    background: subprocess.Popen | None = None
    master: int = 0
    batches_at_start: tuple[int, int] = (0, 0)

    def __enter__(self) -> "Server":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        env = server_env(self.data_dir, self.port, self.workers)
        if self.database is not None:
            (self.data_dir / "portfolio.sqlite3").write_bytes(self.database.read_bytes())
        else:
            manage(env, "migrate", "--noinput")
        # A superuser: whatever rows of roles the database was copied with, it may import.
        manage(
            {**env, "DJANGO_SUPERUSER_PASSWORD": self.password},
            "createsuperuser",
            "--noinput",
            "--username",
            ADMIN,
            "--email",
            "hostile-admin@example.org",
        )
        self.batches_at_start = stored_batches(self.data_dir)
        # -o: the installed packages count as up to date; only the serve recipe runs.
        stamps = ["-o", ".venv/.installed-stamp", "-o", "node_modules/.installed-stamp"]
        self.log = (self.data_dir / "server.log").open("wb")
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", *stamps, "serve"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=limit_address_space,
        )
        self.background = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=limit_address_space,
        )
        try:
            self.wait_until_serving()
        except BaseException:
            self.__exit__()
            raise
        return self

    def wait_until_serving(self, seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"make serve ended ({self.process.returncode}):\n{self.tail()}")
            self.master = self.master or self.find_master()
            if self.master and len(self.gunicorn_workers()) == self.workers:
                with contextlib.suppress(OSError, http.client.HTTPException):
                    if Browser(self.port).request("GET", "/accounts/login/")[0] == 200:
                        return
            time.sleep(0.25)
        raise RuntimeError(f"the server did not answer within {seconds:.0f} s:\n{self.tail()}")

    def find_master(self) -> int:
        """The gunicorn process among make's children (its recipe execs gunicorn)."""
        for pid in children_of(self.process.pid):
            if "gunicorn" in command_line(pid):
                return pid
        return 0

    def gunicorn_workers(self) -> set[int]:
        return {pid for pid in children_of(self.master) if "gunicorn" in command_line(pid)}

    def worker_pids(self) -> set[int]:
        """The server's workers and the background worker, while they live."""
        alive = self.background is not None and self.background.poll() is None
        return self.gunicorn_workers() | ({self.background.pid} if alive else set())

    def tail(self, lines: int = 40) -> str:
        """The server's last words, without its access log."""
        self.log.flush()
        text = (self.data_dir / "server.log").read_text(errors="replace")
        said = [line for line in text.splitlines() if not ACCESS_LOG.match(line)]
        return "\n".join(said[-lines:])

    def __exit__(self, *exc_info) -> None:
        if self.background is not None and self.background.poll() is None:
            os.killpg(self.background.pid, signal.SIGTERM)
            try:
                self.background.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.background.pid, signal.SIGKILL)
                self.background.wait()
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # make, gunicorn and its workers
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@dataclass
class Browser:
    """One signed-in user: a connection, cookies, the CSRF token; follows no redirect."""

    port: int
    timeout: float = 30.0
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""
    conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, dict, str]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = content_type
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.headers.get("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return response.status, dict(response.headers), text

    def sign_in(self, username: str, password: str) -> None:
        status, _headers, page = self.request("GET", "/admin/login/?next=/admin/")
        token = CSRF_FIELD.search(page)
        if status != 200 or not token:
            raise RuntimeError(f"the login page answered {status} without a CSRF token")
        form = {
            "csrfmiddlewaretoken": token[1],
            "username": username,
            "password": password,
            "next": "/admin/",
        }
        status, _headers, _page = self.request(
            "POST",
            "/admin/login/?next=/admin/",
            urlencode(form).encode(),
            "application/x-www-form-urlencoded",
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"signing in answered {status}, not a redirect with a session")
        status, _headers, page = self.request("GET", UPLOAD_PATH)
        token = CSRF_FIELD.search(page)
        if status != 200 or not token:
            raise RuntimeError(f"the upload page answered {status} without a CSRF token")
        self.token = token[1]

    def background_outcome(self, preview: str) -> tuple[str, str]:
        """Where the batch an upload was sent to stands once its background run (if it has one)
        has ended: its status and the refusal its page shows; ("", "") for a batch previewed in
        the request."""
        batch = PREVIEW_PATH.match(preview)[1]
        deadline = time.monotonic() + BACKGROUND_SECONDS
        while True:
            status, _headers, text = self.request("GET", STATUS_PATH.format(batch))
            if status != 200:
                return f"status answered {status}", ""
            answer = json.loads(text)
            if not answer["stage"]:
                return "", ""
            if not answer["running"]:
                break
            if time.monotonic() > deadline:
                return "still running", ""
            time.sleep(0.5)
        _status, _headers, page = self.request("GET", preview)
        note = FAILURE_NOTE.search(page)
        refusal = html.unescape(" ".join(re.sub(r"<[^>]+>", " ", note[1]).split())) if note else ""
        return answer["status"], refusal

    def upload(self, sample: Sample, kind: str = "partners") -> tuple[int, dict, str]:
        boundary = uuid.uuid4().hex
        fields = [("csrfmiddlewaretoken", self.token), ("kind", kind)]
        part = '--{}\r\nContent-Disposition: form-data; name="{}"\r\n\r\n{}\r\n'
        body = b"".join(part.format(boundary, name, value).encode() for name, value in fields)
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{sample.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        body += sample.content + f"\r\n--{boundary}--\r\n".encode()
        return self.request("POST", UPLOAD_PATH, body, f"multipart/form-data; boundary={boundary}")


@dataclass
class Upload:
    sample: Sample
    hostile: bool
    status: int | str
    message: str
    seconds: float
    workers_kept: bool
    failures: list[str] = field(default_factory=list)
    # Where an upload sent to the background ended: "refused" or "previewed" ("" if it was not).
    background: str = ""

    @property
    def previewed(self) -> bool:
        return self.status == 302 and self.background in ("", "previewed")


def refusal_on(page: str) -> str:
    """The form's error for the file, as the user reads it."""
    errors = FIELD_ERRORS.findall(page)
    texts = (html.unescape(re.sub(r"<[^>]+>", " ", error)) for error in errors)
    return " ".join(" ".join(text.split()) for text in texts)


def upload_all(
    server: Server, samples: list[tuple[Sample, bool]], deadline: float | None = None
) -> Iterator[Upload]:
    """Upload each (sample, hostile) through the admin's form; after each, are the workers the
    same processes?"""
    browser = Browser(server.port)
    browser.sign_in(ADMIN, server.password)
    workers = server.worker_pids()
    for sample, hostile in samples:
        if deadline is not None and time.monotonic() > deadline:
            yield Upload(sample, hostile, "-", "not tried: out of time", 0.0, True, ["not tried"])
            continue
        started = time.perf_counter()
        background = ""
        try:
            status, headers, page = browser.upload(sample)
            message = refusal_on(page) if status == 200 else headers.get("Location", "")
            if status == 302 and PREVIEW_PATH.match(message):
                # A large upload is read by the background worker; its page says what it found.
                background, refusal = browser.background_outcome(message)
                message = refusal or message
        except (OSError, http.client.HTTPException) as error:
            status, message = "dropped", f"{type(error).__name__}: {error}"
        seconds = time.perf_counter() - started
        now = server.worker_pids()
        upload = Upload(sample, hostile, status, message, seconds, now == workers, [], background)
        if now != workers:
            upload.failures.append(f"workers {sorted(workers)} became {sorted(now)}")
            workers = now
        if hostile and background:
            if background != "refused":
                upload.failures.append(f"its background run ended {background}, not refused")
            elif not message:
                upload.failures.append("no refusal on the batch's page")
            elif not sample.names_what_is_wrong(message):
                upload.failures.append(f"the refusal names none of {', '.join(sample.keywords)}")
        elif hostile:
            if status != 200:
                upload.failures.append(f"answered {status}, not the form with a refusal")
            elif not message:
                upload.failures.append("no refusal on the page")
            elif not sample.names_what_is_wrong(message):
                upload.failures.append(f"the refusal names none of {', '.join(sample.keywords)}")
        elif status != 302 or not upload.previewed:
            upload.failures.append(f"answered {status} {shorten(message, 80)}, not the preview")
        yield upload


def stored_batches(data_dir: Path) -> tuple[int, int]:
    """Import batches in the server's database, and uploads kept in its import folder (each
    with the table read from it and the plan made of it beside it, ``….table.json`` and
    ``….plan.json``, which are not counted). A batch the background worker refused keeps no
    file, and is not counted either: its page is where the refusal is read."""
    with contextlib.closing(sqlite3.connect(data_dir / "portfolio.sqlite3")) as db:
        count = "SELECT COUNT(*) FROM imports_importbatch WHERE status != 'refused'"
        batches = db.execute(count).fetchone()[0]
    folder = data_dir / "imports"
    if not folder.exists():
        return batches, 0
    kept_beside = (".table.json", ".plan.json", ".progress.json")
    return batches, sum(1 for path in folder.iterdir() if not path.name.endswith(kept_beside))


def serve_and_upload(
    hostile: list[Sample],
    ordinary: list[Sample],
    data_dir: Path,
    database: Path | None = None,
    seconds: float | None = None,
) -> tuple[list[Upload], list[str]]:
    """Serve, upload every file, stop; the uploads and the failures of the run as a whole."""
    samples = [(s, True) for s in hostile] + [(s, False) for s in ordinary]
    with Server(data_dir, database) as server:
        deadline = None if seconds is None else time.monotonic() + seconds
        uploads = list(upload_all(server, samples, deadline))
        problems = []
        if server.process.poll() is not None:
            problems.append("the server ended during the uploads")
        accepted = sum(1 for u in uploads if u.previewed)
        batches, files = stored_batches(data_dir)
        batches -= server.batches_at_start[0]
        files -= server.batches_at_start[1]
        if (batches, files) != (accepted, accepted):
            problems.append(
                f"{accepted} uploads were accepted, but the server keeps {batches} import "
                f"batches and {files} files: refused uploads must leave nothing"
            )
        if any(u.failures for u in uploads) or problems:
            problems.append("server log, last lines:\n" + server.tail())
    return uploads, problems


def print_uploads(uploads: list[Upload], problems: list[str], markdown: bool) -> None:
    title = f"{SMOKE_TABLE} uploaded to gunicorn (make serve, 2 workers) by a signed-in superuser"
    print(title)
    if markdown:
        print("\n| file | class | status | page | s | workers | verdict |")
        print("| --- | --- | --- | --- | ---: | --- | --- |")
    else:
        print(f"{'file':46} {'class':18} {'status':>7} {'s':>6} {'workers':7}  verdict  page")
    for u in uploads:
        verdict = "PASS" if not u.failures else "FAIL: " + "; ".join(u.failures)
        kept = "same" if u.workers_kept else "CHANGED"
        status = f"{u.status} {u.background}" if u.background else u.status
        if markdown:
            page = shorten(u.message, 90).replace("|", "\\|")
            print(
                f"| `{u.sample.name}` | {u.sample.kind} | {status} | {page} | "
                f"{u.seconds:.2f} | {kept} | {verdict} |"
            )
        else:
            print(
                f"{u.sample.name:46} {u.sample.kind:18} {status!s:>7} {u.seconds:6.2f} "
                f"{kept:7}  {verdict}  {shorten(u.message, 100)}"
            )
    for problem in problems:
        print(problem)
    failed = [u for u in uploads if u.failures]
    print(f"\n{len(uploads) - len(failed)} of {len(uploads)} uploads pass.")


def http_run(args) -> int:
    with tempfile.TemporaryDirectory(prefix="hostile-http-") as folder:
        uploads, problems = serve_and_upload(
            catalogue(small=args.smoke), benign(), Path(folder) / "data"
        )
    print_uploads(uploads, problems, args.markdown)
    return 1 if problems or any(u.failures for u in uploads) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="the small catalogue, quickly")
    parser.add_argument("--markdown", action="store_true", help="a table for docs/BENCHMARKS.md")
    parser.add_argument("--http", action="store_true", help="upload through gunicorn instead")
    parser.add_argument(
        "--shared-process", action="store_true", help="fork every file from one set-up process"
    )
    parser.add_argument("--timeout", type=float, default=None, help="seconds per file")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.timeout is None:
        args.timeout = 20.0 if args.smoke else 60.0
    if args.measure:
        measuring_process(args.paths, args.timeout)
        return
    sys.exit(http_run(args) if args.http else reading_run(args))


if __name__ == "__main__":
    main()
