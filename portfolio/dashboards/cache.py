"""Rendered dashboard pages, kept until the records change.

A dashboard page takes tens to hundreds of milliseconds to build from 100,000 activities and is
read far more often than the records change, so ``cached_dashboard`` keeps each rendered page
and serves it again. A page is kept under:

- the records' versions: fresh random tokens, set once a transaction that wrote records has
  committed (``data_changed``), in the cache that every server process shares, so a write in one
  process makes the pages it touched stale in every process at once. A write makes stale only
  the pages of readers who reach what it wrote: a record of one institution (an activity, an
  initiative) replaces that institution's token and the token of readers of every institution;
  a record every institution reads (a partner, a goal, a user, a role) replaces the token all
  pages are kept under. A reader's page is kept under the tokens of the institutions they reach.
  The tokens are read before a page is built, and replaced only after the write is committed, so
  a page is never kept under a version newer than the records it shows;
- the reader's scope: the institutions (and units) they reach and the permissions they hold
  (``scope_of``), so every reader alike in both is served the one page built for the first of
  them: a write costs one build per scope and page, not one per reader. The page is kept without
  the reader's own part, the site header (their name, their links, the log-out form's CSRF
  token), which is rendered for each reader as the page is served (``personal``); a page that
  used a CSRF token anywhere else is not kept;
- the full URL with its query string, the active language and time zone, the request headers
  the response varies on but the cookie, whose part is the reader's own (Django's
  ``learn_cache_key``), and today's date (the default fiscal year and "expiring within 180
  days" move with it).

What the pages of one scope have in common (the filter form's choices, a goal tree's figures)
is kept beside them under the same key, and built once for all of them (``remembered``).

A served page reads no table: the reader's version keys and scope, and their header, are kept
too, under the version of every record (which any change of a user, a role or a scope
replaces). Readers who ask for a page while it is being built wait for that build (up to
``BUILD_WAIT_SECONDS``) instead of building it each: after a write, one build per scope and page.

Only GET responses with status 200 that set no cookie, ask for no ``no-store``/``no-cache`` and
vary on no ``*`` are kept; the session and CSRF cookies are set afresh on every response by the
middleware outside the view. Nothing is read from or written to the cache while the request runs
inside a transaction, since the records it would read may not be committed.

The version must be visible to every process: where the configured cache is local to one process
(``LocMemCache``) or discards everything (``DummyCache``), pages are not cached at all.
"""

import hashlib
import time
import uuid
from collections.abc import Callable
from functools import partial, wraps

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import BaseCache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import cc_delim_re, get_cache_key, has_vary_header, learn_cache_key
from django.utils.translation import get_language
from simple_history.signals import post_create_historical_record

from common.access import Access, access_for, reach_of, value_at
from common.history import history_written_in_bulk
from policies.models import Alignment, Framework, Goal
from portfolio.dashboards.filters import page_query
from units.models import UserScope

ALIAS = "dashboards"
VERSION_KEY = "dashboards:records-version"
ANY_KEY = "dashboards:any-institution-version"
# Records of one institution that other institutions' pages name (the crosswalk names every
# framework's goals): their writes make every page stale.
SHOWN_EVERYWHERE = (Framework, Goal, Alignment)
DEFAULT_SECONDS = 600
# Where a kept page had its reader's own header (templates/portfolio/base.html).
PERSONAL_MARK = b"<!--personal:site-header-->"
# How long a reader waits at most for a page that another request is building, and how often
# they look whether it is kept.
BUILD_WAIT_SECONDS = 15
BUILD_POLL_SECONDS = 0.05

View = Callable[..., HttpResponse]


def page_cache() -> BaseCache | None:
    """The cache shared by the server processes, or None where there is none to share."""
    cache = caches[ALIAS if ALIAS in settings.CACHES else "default"]
    if isinstance(cache, LocMemCache | DummyCache):
        return None
    return cache


def timeout() -> int:
    """How long a page is kept at most (writes outside Django are seen after this long)."""
    return getattr(settings, "DASHBOARD_CACHE_SECONDS", DEFAULT_SECONDS)


def institution_key(pk: int) -> str:
    return f"dashboards:institution-version:{pk}"


def version_keys(access: Access) -> list[str]:
    """The tokens a reader's pages are kept under: every record's, and their institutions'."""
    if access.everything:
        return [VERSION_KEY, ANY_KEY]
    return [VERSION_KEY, *map(institution_key, sorted(access.institution_ids))]


def tokens_of(cache: BaseCache, keys: list[str]) -> dict[str, str]:
    tokens = cache.get_many(keys)
    if len(tokens) < len(keys):
        # First use, or a token was culled: any fresh token is as good as a new version.
        for key in keys:
            if key not in tokens:
                cache.add(key, uuid.uuid4().hex, timeout=None)
        tokens = cache.get_many(keys)
    return tokens


def data_version(cache: BaseCache, keys: list[str]) -> str:
    tokens = tokens_of(cache, keys)
    joined = ".".join(tokens.get(key, "") for key in keys)
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


def new_data_version(institutions: frozenset[int] | None = None) -> None:
    """Fresh tokens: random, so that no earlier version, and none of its pages, ever returns.
    ``institutions``: the records written belong to these only; None: to every reader."""
    cache = page_cache()
    if cache is None:
        return
    if institutions is None:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        return
    tokens = {ANY_KEY: uuid.uuid4().hex}
    tokens |= {institution_key(pk): uuid.uuid4().hex for pk in institutions}
    cache.set_many(tokens, timeout=None)


def data_changed(institutions: frozenset[int] | None = None) -> None:
    """Records were written: the pages that show them go stale when the transaction commits.

    Outside a transaction the versions change at once.
    """
    transaction.on_commit(partial(new_data_version, institutions))


def institutions_written(history_row) -> frozenset[int] | None:
    """The institutions a history row's record belongs to, before and after the write; None
    for a record that every institution's pages may show."""
    model = history_row.instance_type
    reach = reach_of(model)
    if reach.shared or model in SHOWN_EVERYWHERE:
        return None
    found = set()
    for row in (history_row, history_row.prev_record):
        if row is not None:
            found |= {value_at(row, path) for path in reach.institution}
    found.discard(None)
    return frozenset(found) or None


def scope_of(user) -> str:
    """What decides a page's content besides its URL: the institutions (and units) the user
    reaches and every permission they hold. Readers alike in both are served the same page."""
    permissions = ",".join(sorted(user.get_all_permissions()))
    held = f"{access_for(user).cache_key()}|{user.is_staff}|{user.is_superuser}|{permissions}"
    return hashlib.sha256(held.encode()).hexdigest()[:24]


def reader(cache: BaseCache, user, everyone: str) -> tuple[list[str], str]:
    """The reader's version keys and scope, remembered under ``everyone``, the version of every
    record (which a change of any user, role or scope replaces), so a served page reads neither."""
    key = f"dashboards:reader:{user.pk}:{everyone}"
    found = cache.get(key)
    if found is None:
        found = (version_keys(access_for(user)), scope_of(user))
        cache.set(key, found, timeout())
    return found


def key_prefix(request: HttpRequest, cache: BaseCache, everyone: str, across: bool = False) -> str:
    """``across``: the page shows other institutions' records too (the benchmarks), so any
    institution's write makes it stale."""
    keys, scope = reader(cache, request.user, everyone)
    version = data_version(cache, [*keys, ANY_KEY] if across else keys)
    return f"dashboards.{version}.{scope}.{timezone.localdate().isoformat()}"


# The one varied header whose part is the reader's own (their session, their CSRF and language
# cookies): what it decides is in the key (scope, language) or in the personal header.
PERSONAL_HEADERS = {"cookie"}


def learn_key(request: HttpRequest, response: HttpResponse, prefix: str, cache: BaseCache) -> str:
    """The key of the response, learning the headers it varies on but the reader's own."""
    varied = cc_delim_re.split(response.get("Vary", "")) if response.has_header("Vary") else []
    probe = HttpResponse()
    kept = [h for h in varied if h.strip() and h.strip().lower() not in PERSONAL_HEADERS]
    if kept:
        probe["Vary"] = ", ".join(kept)
    return learn_cache_key(request, probe, timeout(), prefix, cache=cache)


def header_of(request: HttpRequest, cache: BaseCache, everyone: str) -> str:
    """The reader's own header, kept per reader, CSRF secret, language and page, under
    ``everyone``, the version of every record (a user's name or roles replace it)."""
    secret = request.META.get("CSRF_COOKIE")
    key = None
    if secret:
        held = f"{request.user.pk}.{secret}.{get_language()}.{request.get_full_path()}"
        key = f"dashboards:header:{everyone}:{hashlib.sha256(held.encode()).hexdigest()[:32]}"
        header = cache.get(key)
        if header is not None:
            get_token(request)  # the CSRF cookie is sent again, as with a header rendered now
            return header
    header = render_to_string(
        "portfolio/_site_header.html", {"query": page_query(request)}, request=request
    )
    if key:
        cache.set(key, header, timeout())
    return header


def personal(request: HttpRequest, response: HttpResponse, cache, everyone: str) -> HttpResponse:
    """The page with the reader's own header where the kept copy has its mark."""
    # (A page's HTML escapes the mark wherever a record's text holds it; a CSV download does not.)
    html = response.get("Content-Type", "").startswith("text/html")
    if response.streaming or not html or PERSONAL_MARK not in response.content:
        return response
    header = header_of(request, cache, everyone)
    response.content = response.content.replace(PERSONAL_MARK, header.encode(), 1)
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))
    return response


def may_use_cache(request: HttpRequest) -> bool:
    return (
        request.method == "GET" and request.user.is_authenticated and not connection.in_atomic_block
    )


def may_keep(response: HttpResponse, session_written: bool) -> bool:
    cache_control = {
        part.split("=", 1)[0].strip().lower()
        for part in cc_delim_re.split(response.get("Cache-Control", ""))
    }
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not session_written
        and not has_vary_header(response, "*")
        and not cache_control & {"no-store", "no-cache"}
    )


def stored(response: HttpResponse) -> dict:
    return {"content": response.content, "headers": list(response.items())}


def served(entry: dict) -> HttpResponse:
    response = HttpResponse(entry["content"])
    for name, value in entry["headers"]:
        response[name] = value
    return response


def cached_dashboard(view: View, *, across: bool = False) -> View:
    """Serve the page kept for the reader's scope and the records' version, else build it; in
    either case with the reader's own header. ``across``: the page shows every institution's
    records, and goes stale with a write of any of them."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        cache = page_cache()
        if cache is None or not may_use_cache(request):
            return view(request, *args, **kwargs)
        everyone = tokens_of(cache, [VERSION_KEY])[VERSION_KEY]
        prefix = key_prefix(request, cache, everyone, across)
        entry = kept(request, prefix, cache)
        if entry is not None:
            return personal(request, served(entry), cache, everyone)
        # One build of a page at a time: the readers who ask for it meanwhile (after a write, at
        # a cold start) wait for that build rather than each building the page again.
        building = f"{prefix}.building.{digest(request.get_full_path())}"
        if not cache.add(building, True, timeout=BUILD_WAIT_SECONDS):
            entry = awaited(cache, building, partial(kept, request, prefix, cache))
            if entry is not None:
                return personal(request, served(entry), cache, everyone)
        try:
            return personal(
                request, built(view, request, args, kwargs, prefix, cache), cache, everyone
            )
        finally:
            cache.delete(building)

    return wrapper


def kept(request: HttpRequest, prefix: str, cache: BaseCache) -> dict | None:
    key = get_cache_key(request, prefix, "GET", cache=cache)
    return cache.get(key) if key else None


def awaited(cache: BaseCache, building: str, look: Callable[[], object]) -> object:
    """What another request is building (``look()``, once kept); None where that build ended
    without keeping it (an error, a page that is not kept), or takes longer than a reader
    should wait."""
    deadline = time.monotonic() + BUILD_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(BUILD_POLL_SECONDS)
        entry = look()
        if entry is not None or cache.get(building) is None:
            return entry
    return None


def built(view: View, request: HttpRequest, args, kwargs, prefix: str, cache) -> HttpResponse:
    """The page built for this reader (with the mark for their header), and kept for their
    scope where it may be."""
    session_was_written = request.session.modified
    token_was_used = request.META.get("CSRF_COOKIE_NEEDS_UPDATE", False)
    request.dashboard_shared = True  # the base template leaves a mark for the header
    request.dashboard_memo = partial(remembered, cache, prefix)
    try:
        response = view(request, *args, **kwargs)
    finally:
        request.dashboard_shared = False
        request.dashboard_memo = None
    # A CSRF token in the page itself is the reader's own: such a page is never shared.
    token_in_page = request.META.get("CSRF_COOKIE_NEEDS_UPDATE", False) and not token_was_used
    if not token_in_page and may_keep(
        response, request.session.modified and not session_was_written
    ):
        cache.set(learn_key(request, response, prefix, cache), stored(response), timeout())
    return response


def remembered(cache: BaseCache, prefix: str, names: list[str], build: Callable) -> dict:
    """What each name is for every reader of the scope under the records' versions (``prefix``):
    kept once built, so that the pages of a scope build it once (a goal tree's figures serve
    the overview, the framework's page and each of its goals' pages; the filter form's choices,
    every page). ``build(missing)`` gives the values of the names not kept yet. As with pages,
    one request at a time builds them: after a write, the goal pages asked for at once wait for
    their tree's figures instead of each counting the whole tree."""
    keys = {name: f"{prefix}.shared.{digest(name)}" for name in names}

    def look() -> dict | None:
        found = cache.get_many(list(keys.values()))
        values = {name: found[key] for name, key in keys.items() if key in found}
        return values if len(values) == len(keys) else None

    values = look()
    if values is not None:
        return values
    building = f"{prefix}.shared-building.{digest(' '.join(sorted(names)))}"
    if not cache.add(building, True, timeout=BUILD_WAIT_SECONDS):
        values = awaited(cache, building, look)
        if values is not None:
            return values
    try:
        found = cache.get_many(list(keys.values()))
        values = {name: found[key] for name, key in keys.items() if key in found}
        missing = [name for name in names if name not in values]
        made = build(missing)
        cache.set_many({keys[name]: made[name] for name in missing}, timeout())
        return values | made
    finally:
        cache.delete(building)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# Every write of a record leaves a history row; rows written in bulk send a signal of their own.
def history_written(sender, history_instance, **kwargs) -> None:
    data_changed(institutions_written(history_instance))


def written_in_bulk(sender, records=(), changed=None, **kwargs) -> None:
    # (Links snapshot as they were, under rows whose own writes were signalled, change nothing.)
    if changed is not None and not any(r.id in changed for r in records):
        return
    data_changed()


# A user's name, staff flag, activity and roles show on their pages or decide what they reach.
def user_saved(sender, update_fields=None, **kwargs) -> None:
    if update_fields is None or set(update_fields) != {"last_login"}:
        data_changed()


def user_deleted(sender, **kwargs) -> None:
    data_changed()


def roles_changed(sender, action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        data_changed()


# A user's scope decides what they reach, and which pages they are served.
def scope_written(sender, **kwargs) -> None:
    data_changed()


User = get_user_model()
post_create_historical_record.connect(history_written, dispatch_uid="dashboards_history")
history_written_in_bulk.connect(written_in_bulk, dispatch_uid="dashboards_bulk_history")
post_save.connect(user_saved, sender=User, dispatch_uid="dashboards_user_saved")
post_delete.connect(user_deleted, sender=User, dispatch_uid="dashboards_user_deleted")
post_save.connect(scope_written, sender=UserScope, dispatch_uid="dashboards_scope_saved")
post_delete.connect(scope_written, sender=UserScope, dispatch_uid="dashboards_scope_deleted")
for through in (
    User.groups.through,
    User.user_permissions.through,
    Group.permissions.through,
    UserScope.institutions.through,
    UserScope.units.through,
):
    m2m_changed.connect(
        roles_changed, sender=through, dispatch_uid=f"dashboards_{through._meta.label}"
    )
