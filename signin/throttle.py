"""Throttling of the ways in through an identity provider, with django-axes.

A refused SAML assertion or OpenID Connect token counts as a failed sign-in from its client's
address under the name of its way in (every refusal from one address adds up, whoever it named),
so that after ``DJANGO_LOGIN_FAILURE_LIMIT`` of them that way in is paused at that address for
the cool-off, as a password is; a successful sign-in is in axes' log as every sign-in is.
"""

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

SAML_DOOR = "(SAML sign-in)"
OIDC_DOOR = "(OpenID Connect sign-in)"
DOORS = {SAML_DOOR, OIDC_DOOR}


def inactive_account() -> str:
    """Why a deactivated account does not sign in, in the reader's language."""
    return _("Your account here is deactivated: ask an administrator of the portfolio.")


def refused(
    request: HttpRequest, reason: str, door: str, *, count: bool = True, status: int = 403
) -> HttpResponse:
    """The page of a refused sign-in, which (``count``) counts against the client's address."""
    if count:
        user_login_failed.send(sender=__name__, credentials={"username": door}, request=request)
    return render(request, "signin/refused.html", {"reason": reason}, status=status)


def throttled(request: HttpRequest, door: str) -> bool:
    return not AxesProxyHandler.is_allowed(request, {"username": door})


def locked_out(request: HttpRequest, door: str) -> HttpResponse:
    return lockout(request, None, {"username": door})


def lockout(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes's answer to a locked-out sign-in (AXES_LOCKOUT_CALLABLE): the password form's
    page, or for a way in through an identity provider a page that speaks of that way in."""
    credentials = credentials or {}
    username = get_client_username(request, credentials) or ""
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "username": username,
        "cooloff_timedelta": get_cool_off(request),
    }
    template = "signin/locked_out.html" if username in DOORS else settings.AXES_LOCKOUT_TEMPLATE
    return render(request, template, context, status=settings.AXES_HTTP_RESPONSE_CODE)
