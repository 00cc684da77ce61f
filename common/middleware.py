"""Request handling shared by the admin and the dashboards: the staff idle timeout, the language a
user prefers, and the client address that login throttling counts failures against."""

import ipaddress
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

LAST_ACTIVITY_KEY = "staff_last_activity"
# The stored time is refreshed at most this often, so that an active editor's every click does
# not write the session row again; the timeout is still exact to within this many seconds.
REFRESH_SECONDS = 60


class StaffIdleTimeoutMiddleware:
    """Signs out a staff user whose previous request is older than ADMIN_IDLE_MINUTES.

    Staff can change records, so an unattended signed-in browser is a risk that a reader's is
    not; readers keep the normal session age. The user is sent to the login page with the page
    they asked for as `next`, as `login_required` does.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            if last is not None and now - last > settings.ADMIN_IDLE_MINUTES * 60:
                logout(request)
                return redirect_to_login(request.get_full_path())
            if last is None or now - last >= REFRESH_SECONDS:
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)


class RememberedLanguageMiddleware:
    """Keeps the language a request chose for the reader (``remember_language``) in the language
    cookie, the one Django's LocaleMiddleware and the language switcher read: so a user's
    preferred language becomes the interface's at sign-in, and the switcher still changes it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        language = getattr(request, "remembered_language", None)
        if language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


def remember_language(request: HttpRequest | None, language: str) -> None:
    """Make ``language`` the reader's from this response on (one of settings.LANGUAGES)."""
    if request is not None and language in dict(settings.LANGUAGES):
        request.remembered_language = language


def client_ip_address(request: HttpRequest) -> str | None:
    """The address a request came from, for login throttling.

    Behind one reverse proxy (BEHIND_PROXY) that is the last address in X-Forwarded-For, the one
    the proxy appended; any earlier ones came from the client and may be forged. Otherwise the
    header is ignored and the connection's own address is used.
    """
    remote = request.META.get("REMOTE_ADDR")
    if not settings.BEHIND_PROXY:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(forwarded))
    except ValueError:
        return remote
