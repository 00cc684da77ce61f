"""The public disclosure pages: served to anyone, without signing in, in English and Japanese.

- ``/public/``: the institutions whose public pages are on (``Institution.public_pages``);
- ``/public/<code>/``: an institution's goals opted in (``Goal.public``), word for word, with the
  latest disclosed figure of each of their indicators opted in (``Indicator.public``);
- ``/public/<code>/goals/<pk>/``: one of those goals, each indicator's target and actual by fiscal
  year as a table and a chart (``static/disclosure/public_chart.js`` draws it from the table).

An institution whose public pages are off has none (not found), nor has a goal not opted in. The
figures are ``disclosure.figures.disclosed_figures``: approved actuals only, for a year that has a
reporting cycle. No person's name, no note, no draft figure is on any page.

Language: the reader's, as on the rest of the site (the language cookie the switcher sets, else
the browser's Accept-Language), unless ``?lang=en`` or ``?lang=ja`` asks for one. The site's
switcher posts a form with a CSRF token, which would give every reader a cookie; the public pages
link to ``?lang=`` instead, and every link on them keeps the language read.

Caching: every reader is served the same page, kept in the dashboards' shared cache under the
records' data versions (``portfolio.dashboards.cache``), the page's path and its language. A page
of an institution is kept under the version of every record and that institution's version, so a
write through history (``common.services.record_save``, the admin) that touches the institution,
its goals, indicators, figures or cycles makes it stale once committed: opting out takes effect
at once. The index is kept under the version of any institution. A served page reads no table;
the institution a code names is remembered under the versions too. Readers who ask for a page
while it is being built wait for that build, as on the dashboards. Nothing is read from or kept
in the cache inside a transaction, and only a 200 that sets no cookie is kept. The pages do not
read the reader (no session, no CSRF token), so an anonymous reader gets no cookie.
"""

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import BaseCache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import translation
from django.views.decorators.http import require_safe

from common.bilingual import reader_language
from disclosure.public_selectors import (
    public_goal,
    public_goals,
    public_institution,
    public_institutions,
)
from portfolio.dashboards.cache import (
    ANY_KEY,
    BUILD_WAIT_SECONDS,
    VERSION_KEY,
    awaited,
    data_version,
    institution_key,
    may_keep,
    page_cache,
    served,
    stored,
    timeout,
)
from units.models import Institution

View = Callable[..., HttpResponse]
LANGUAGE_PARAMETER = "lang"
NO_INSTITUTION = 0  # remembered for a code that names none


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def page_language(request: HttpRequest) -> str:
    """``?lang=`` where it names a language of the site, else the reader's (LocaleMiddleware's)."""
    asked = request.GET.get(LANGUAGE_PARAMETER, "")
    if asked in dict(settings.LANGUAGES):
        return asked
    return reader_language(translation.get_language())


def institution_id_of(cache: BaseCache, code: str) -> int:
    """The id of the institution ``code`` names (0: none), remembered under the version of every
    record and of any institution, which a change of an institution (its code) replaces."""
    version = data_version(cache, [VERSION_KEY, ANY_KEY])
    key = f"public:institution:{version}:{digest(code)}"
    found = cache.get(key)
    if found is None:
        found = Institution.objects.filter(code=code).values_list("pk", flat=True).first()
        found = found or NO_INSTITUTION
        cache.set(key, found, timeout())
    return found


def version_keys(cache: BaseCache, kwargs: dict) -> list[str] | None:
    """The data versions a page is kept under; None for a code that names no institution."""
    code = kwargs.get("code")
    if code is None:
        return [VERSION_KEY, ANY_KEY]
    pk = institution_id_of(cache, code)
    return [VERSION_KEY, institution_key(pk)] if pk else None


def cached_public(view: View) -> View:
    """Serve the page kept for its path and language under the records' versions, else build it
    in that language (and keep it where it may be)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        language = page_language(request)
        with translation.override(language):
            response = served_or_built(view, request, language, args, kwargs)
        response["Content-Language"] = language
        return response

    return require_safe(wrapper)


def served_or_built(view: View, request: HttpRequest, language: str, args, kwargs):
    cache = page_cache()
    if cache is None or request.method != "GET" or connection.in_atomic_block:
        return view(request, *args, **kwargs)
    keys = version_keys(cache, kwargs)
    if keys is None:
        return view(request, *args, **kwargs)  # not found, and nothing to keep
    version = data_version(cache, keys)  # read before the page is built, as the dashboards do
    key = f"public:page:{version}:{language}:{digest(request.path)}"
    entry = cache.get(key)
    if entry is not None:
        return served(entry)
    # One build of a page at a time: its readers meanwhile (a cold start, after a write) wait
    # for that build rather than each building it again.
    building = f"{key}.building"
    if not cache.add(building, True, timeout=BUILD_WAIT_SECONDS):
        entry = awaited(cache, building, lambda: cache.get(key))
        if entry is not None:
            return served(entry)
    try:
        response = view(request, *args, **kwargs)
        if may_keep(response, session_written=False):
            cache.set(key, stored(response), timeout())
        return response
    finally:
        cache.delete(building)


def page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    language = translation.get_language()
    return render(
        request,
        f"disclosure/public/{template}",
        {**context, "lang_query": f"?{LANGUAGE_PARAMETER}={language}", "page_path": request.path},
    )


@cached_public
def index(request: HttpRequest) -> HttpResponse:
    return page(request, "index.html", {"institutions": public_institutions()})


@cached_public
def institution_page(request: HttpRequest, code: str) -> HttpResponse:
    institution = public_institution(code)
    frameworks = public_goals(institution)
    return page(request, "institution.html", {"institution": institution, "frameworks": frameworks})


@cached_public
def goal_page(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    institution = public_institution(code)
    framework, shown = public_goal(institution, pk)
    return page(
        request,
        "goal.html",
        {"institution": institution, "framework": framework, "shown": shown},
    )


urlpatterns = [
    path("public/", index, name="public_index"),
    path("public/<str:code>/", institution_page, name="public_institution"),
    path("public/<str:code>/goals/<int:pk>/", goal_page, name="public_goal"),
]
