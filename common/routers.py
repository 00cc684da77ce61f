"""The dashboards' reads from a read replica, every other query from the primary.

Installed when ``DATABASE_REPLICA_URL`` is set (config/settings.py): the replica is the alias
``replica``, and ``ReplicaReadsMiddleware`` marks the requests whose reads may go there, the GET
and HEAD requests of the URL namespaces in ``DATABASE_REPLICA_NAMESPACES`` (the dashboards). Inside
such a request a read goes to the replica unless:

- the request has written (``db_for_write`` was asked): what it reads next must show its write;
- the primary is inside a transaction: what the transaction reads must be what it writes beside;
- the model is one that decides who the reader is or what they may do (sessions, users, groups,
  login attempts): a sign-in a moment ago must not look signed out on a lagging replica;
- the replica has not yet replayed the last write of records. Every write of a record leaves a
  history row; once it commits, the primary's position in its write-ahead log is kept in the
  cache every server process shares (``note_primary_position``; the ``dashboards`` alias, where
  the pages and the records' version are kept too), and a request reads from the replica only if the
  replica has replayed up to there (``replica_caught_up``, asked once a request). Without this
  a page built from a lagging replica just after an edit would be cached under the records' new
  version and shown, stale, to every reader until the next write.

A replica that does not answer is passed over the same way, request by request (give its URL a
``connect_timeout``). Writes always go to the primary, and ``migrate`` never runs on the replica
(it copies the primary's schema). Outside PostgreSQL there is no write-ahead log to compare: the
replica counts as caught up (the tests' two SQLite files are copies made by hand).
"""

import logging
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connections, transaction
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
POSITION_KEY = "replica:primary-position"
# The cache that every server process shares: files on one host, Redis across several.
SHARED_CACHE = "dashboards"
# Who the reader is and what they may do: always read as the primary has it.
PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "contenttypes", "axes", "admin"})


@dataclass
class ReplicaReads:
    """A request's leave to read from the replica, withdrawn by its first write."""

    allowed: bool = True
    checked: bool = False


_reads: ContextVar[ReplicaReads | None] = ContextVar("replica_reads", default=None)


def may_read_replica(model) -> bool:
    reads = _reads.get()
    if reads is None or not reads.allowed or model._meta.app_label in PRIMARY_ONLY_APPS:
        return False
    if connections[PRIMARY].in_atomic_block:
        return False
    if not reads.checked:
        reads.checked = True
        reads.allowed = replica_caught_up()
    return reads.allowed


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        return REPLICA if may_read_replica(model) else PRIMARY

    def db_for_write(self, model, **hints) -> str:
        reads = _reads.get()
        if reads is not None:
            reads.allowed = False
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The replica holds the primary's rows: a row read from either may link to the other's.
        return {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA} or None

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool | None:
        return False if db == REPLICA else None


class ReplicaReadsMiddleware:
    """Lets the reads of a dashboard page go to the replica, from its view on."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _reads.set(None)
        try:
            return self.get_response(request)
        finally:
            _reads.reset(token)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> None:
        namespaces = set(request.resolver_match.namespaces)
        if request.method in {"GET", "HEAD"} and namespaces & set(
            settings.DATABASE_REPLICA_NAMESPACES
        ):
            _reads.set(ReplicaReads())


class replica_reads:
    """``with replica_reads():`` reads as a dashboard request does (commands, tests)."""

    def __enter__(self) -> ReplicaReads:
        self.reads = ReplicaReads()
        self.token = _reads.set(self.reads)
        return self.reads

    def __exit__(self, *exc) -> None:
        _reads.reset(self.token)


def shared_cache():
    """The cache every server process shares; the default one where no other is configured."""
    return caches[SHARED_CACHE if SHARED_CACHE in settings.CACHES else "default"]


def wal_position(alias: str, function: str) -> int | None:
    """A PostgreSQL write-ahead-log position as a number of bytes, or None (not PostgreSQL, or a
    function that has no answer there: a server that is no standby replays nothing)."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_wal_lsn_diff({function}(), '0/0')::bigint")
        return cursor.fetchone()[0]


def replica_caught_up() -> bool:
    """Whether the replica has replayed the primary's last write of records (as far as known:
    until one is noted, the primary's position now)."""
    if connections[REPLICA].vendor != "postgresql":
        return True
    written = shared_cache().get(POSITION_KEY)
    if written is None:
        written = wal_position(PRIMARY, "pg_current_wal_lsn")
    try:
        replayed = wal_position(REPLICA, "pg_last_wal_replay_lsn")
    except DatabaseError:
        # A replica that is away costs the primary some reads, never a reader their page.
        logger.warning("The read replica does not answer: reading from the primary.", exc_info=True)
        return False
    # None: the replica is no standby (a test mirror of the primary), so it has all there is.
    return replayed is None or replayed >= written


def note_primary_position() -> None:
    """Keep the primary's position after a committed write, for ``replica_caught_up``. The
    largest kept wins, so that two processes noting at once cannot move it back."""
    position = wal_position(PRIMARY, "pg_current_wal_lsn")
    if position is None:
        return
    cache = shared_cache()
    for _ in range(3):
        kept = cache.get(POSITION_KEY)
        if kept is not None and kept >= position:
            return
        cache.set(POSITION_KEY, position, timeout=None)


def records_written(sender, **kwargs) -> None:
    """A history row was written: once its transaction commits, note where the primary is."""
    transaction.on_commit(note_primary_position, using=PRIMARY)
