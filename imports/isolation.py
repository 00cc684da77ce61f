"""Running a reader of untrusted input in a child process with a memory and CPU limit.

The readers count everything they hold (``imports.formats``), but a kind of bomb nobody thought of
must cost a refusal, never the server worker that received it. So the reading runs in a forked
child: the address space it may grow by and the CPU seconds it may use are capped by the kernel,
and the parent waits for its answer only so long. Whatever the child does, the parent gets back
either the table or a refusal. The child never touches the database: it inherits the parent's
connection but leaves through ``os._exit``, which closes nothing the parent still uses.
"""

import contextlib
import gc
import logging
import os
import pickle
import resource
import select
import signal
import struct
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.utils.translation import gettext as _

from imports.formats import SheetRefused

log = logging.getLogger(__name__)
Result = TypeVar("Result")
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
TOLD = struct.Struct("<Q")  # a count the child tells as it goes: 8 bytes, written whole to a pipe


def run_confined(
    function: Callable[..., Result], *args: object, told: Callable[[int], None] | None = None
) -> Result:
    """``function(*args)``, run in a confined child; its ``SheetRefused`` is raised here.

    With ``told``, the function is called with ``told=`` a function it tells a count as it goes
    (the rows read so far): the child's counts reach ``told`` here, through a pipe of their own.
    Where the platform cannot fork (or ``IMPORT_READ_CONFINED`` is off), it runs here, with the
    readers' own counts as the only bound.
    """
    extra = {"told": told} if told is not None else {}
    if not settings.IMPORT_READ_CONFINED or not hasattr(os, "fork"):
        return function(*args, **extra)
    read_end, write_end = os.pipe()
    counts = os.pipe() if told is not None else None
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        if counts is not None:
            os.close(counts[0])
            extra = {"told": _teller(counts[1])}
        _child(write_end, function, args, extra)
    os.close(write_end)
    if counts is not None:
        os.close(counts[1])
    try:
        payload, timed_out = _receive(read_end, pid, counts[0] if counts else None, told)
    finally:
        os.close(read_end)
        if counts is not None:
            os.close(counts[0])
    _pid, status = os.waitpid(pid, 0)
    if timed_out or not payload:
        log.warning("a confined reader ended without an answer (status %s)", status)
        raise SheetRefused(_beyond_limits())
    outcome, value = _loads(payload)
    if outcome == "refused":
        raise SheetRefused(value)
    if outcome == "failed":
        log.error("a confined reader failed: %s", value)
        raise SheetRefused(
            _(
                "The file cannot be read: it is damaged, or not the kind of file its extension "
                "says. Save it again from the spreadsheet program, then upload again."
            )
        )
    if outcome == "memory":
        raise SheetRefused(_beyond_limits())
    return value


def _loads(payload: bytes) -> tuple[str, object]:
    """The child's answer; the collector waits, as a table is many objects and no cycles."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(payload)
    finally:
        if collecting:
            gc.enable()


def _beyond_limits() -> str:
    return _(
        "The file could not be read within the memory and time an import may use (%(memory)s MB, "
        "%(seconds)s s); it is refused. Split it into smaller files, or save it again from the "
        "spreadsheet program."
    ) % {
        "memory": f"{settings.IMPORT_READ_MEMORY_BYTES / 1e6:,.0f}",
        "seconds": settings.IMPORT_READ_SECONDS,
    }


def _teller(pipe: int) -> Callable[[int], None]:
    """In the child: tell the parent a count, never waiting for it (a count it misses is
    followed by the next one)."""
    os.set_blocking(pipe, False)

    def tell(count: int) -> None:
        with contextlib.suppress(OSError):  # the pipe is full, or the parent stopped listening
            os.write(pipe, TOLD.pack(count))

    return tell


def _child(pipe: int, function: Callable, args: tuple, extra: dict) -> None:
    """Confine this process, run the function, send its outcome and leave without cleaning up."""
    status = 0
    try:
        # Prepared now: once memory has run out, there may be none left to build it.
        out_of_memory = pickle.dumps(("memory", ""))
        try:
            _confine()
            gc.disable()  # the child lives for one read, and a table has no cycles to collect
            outcome = ("table", function(*args, **extra))
        except SheetRefused as refusal:
            outcome = ("refused", str(refusal))
        except MemoryError:
            outcome = None
        except Exception as error:  # a bug or a file no check foresaw: a refusal, never a crash
            outcome = ("failed", f"{error.__class__.__name__}: {error}")
        try:
            payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL) if outcome else None
        except MemoryError:
            payload = None
        _write_all(pipe, payload or out_of_memory)
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _confine() -> None:
    """Cap the address space this process may grow by, and the CPU seconds it may use."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    seconds = max(1, int(settings.IMPORT_READ_SECONDS))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    limit = _address_space() + settings.IMPORT_READ_MEMORY_BYTES
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _address_space() -> int:
    """The bytes of address space this process holds now (inherited from the parent)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _write_all(pipe: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(pipe, view)
        view = view[written:]
    os.close(pipe)


def _receive(
    pipe: int, pid: int, counts: int | None = None, told: Callable[[int], None] | None = None
) -> tuple[bytes, bool]:
    """All the child writes until it closes the pipe, or until time is up (then it is killed).

    Meanwhile the counts the child tells on ``counts`` are passed on to ``told``, the latest of
    those waiting first.
    """
    deadline = time.monotonic() + 2 * settings.IMPORT_READ_SECONDS
    chunks: list[bytes] = []
    listening = [pipe] if counts is None else [pipe, counts]
    pending = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            _kill(pid)
            return b"", True
        ready, _w, _x = select.select(listening, [], [], left)
        if counts in ready:
            told_bytes = os.read(counts, TOLD.size * 1024)
            if not told_bytes:
                listening.remove(counts)
            pending += told_bytes
            whole = len(pending) - len(pending) % TOLD.size
            if whole:
                told(TOLD.unpack_from(pending, whole - TOLD.size)[0])
                pending = pending[whole:]
        if pipe not in ready:
            continue
        chunk = os.read(pipe, 1 << 20)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
