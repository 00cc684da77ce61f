"""Signing in through an OpenID Connect provider (Microsoft Entra ID, Google Workspace, Keycloak),
with mozilla-django-oidc: the authorization code flow, with a nonce and PKCE.

The ID token must be signed by a key of the provider's JWKS, issued by the configured issuer,
for this client (its audience), and within its time; the identity kept is the pair of the issuer
and the token's ``sub``, never the email it carries. A refusal says which check failed and counts
as a failed sign-in for throttling.
"""

import logging
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _
from mozilla_django_oidc import views as oidc_views
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from signin.models import Protocol
from signin.services import Released, signed_in_user
from signin.throttle import OIDC_DOOR, inactive_account, locked_out, refused, throttled

logger = logging.getLogger(__name__)

# Seconds of slack between this server's clock and the provider's.
LEEWAY = 60


def oidc_on() -> bool:
    return bool(settings.OIDC_RP_CLIENT_ID)


class TokenRefused(SuspiciousOperation):
    """An ID token (or its user info) that does not identify a person to this client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProviderBackend(OIDCAuthenticationBackend):
    """The account of the identity an ID token names (``signin.services``), never another's."""

    def verify_token(self, token: str, **kwargs) -> dict:
        if not isinstance(token, str):  # a token answer without an ID token
            raise TokenRefused(_("It could not be verified."))
        try:
            key = self.OIDC_RP_IDP_SIGN_KEY or self.retrieve_matching_jwk(token)
        except (jwt.PyJWTError, KeyError, TypeError, ValueError) as error:  # not a JWT at all
            raise TokenRefused(_("It could not be verified.")) from error
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_OP_ISSUER,
                leeway=LEEWAY,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidSignatureError as error:
            raise TokenRefused(_("Its signature does not match a key of the provider.")) from error
        except jwt.ExpiredSignatureError as error:
            raise TokenRefused(_("It is outside its time of validity (expired).")) from error
        except jwt.InvalidAudienceError as error:
            raise TokenRefused(_("It was meant for another service, not this one.")) from error
        except jwt.InvalidIssuerError as error:
            raise TokenRefused(_("It was issued by another provider than this one's.")) from error
        except jwt.PyJWTError as error:
            raise TokenRefused(_("It could not be verified.")) from error
        if kwargs.get("nonce") != claims.get("nonce"):
            raise TokenRefused(
                _("It answers no sign-in started here (it may have been used already).")
            )
        return claims

    def retrieve_matching_jwk(self, token: str):
        try:
            return super().retrieve_matching_jwk(token)
        except SuspiciousOperation as error:
            raise TokenRefused(_("Its signature does not match a key of the provider.")) from error

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict):
        info = self.get_userinfo(access_token, id_token, payload)
        if info.get("sub") not in (None, payload["sub"]):
            # mozilla-django-oidc turns a refusal here into no user: the reason goes on the
            # request, for the page of the refusal.
            self.request.signin_refusal = _("Its user information is about another person.")
            return None
        claims = {**info, **payload}
        user = signed_in_user(
            Released(
                protocol=Protocol.OIDC,
                issuer=payload["iss"],
                subject=str(payload["sub"])[:255],
                email=str(claims.get("email") or "") if claims.get("email_verified", True) else "",
                display_name=str(claims.get("name") or ""),
                given_name=str(claims.get("given_name") or ""),
                family_name=str(claims.get("family_name") or ""),
                username=str(claims.get("preferred_username") or claims.get("email") or ""),
                affiliations=affiliations_of(claims),
            )
        )
        if not self.user_can_authenticate(user):
            self.request.signin_refusal = inactive_account()
            return None
        return user


def affiliations_of(claims: dict) -> tuple[str, ...]:
    """eduPersonAffiliation as an academic federation's OpenID Connect releases it (the
    ``eduperson_affiliation`` claim of the REFEDS/GÉANT mapping), for the suggested role."""
    value = claims.get("eduperson_affiliation") or ()
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return tuple(str(item).strip() for item in values if isinstance(item, str | int))[:20]


class Authenticate(oidc_views.OIDCAuthenticationRequestView):
    def __init__(self, **kwargs):
        if oidc_on():
            super().__init__(**kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_on():
            raise Http404
        return super().get(request)


class Callback(oidc_views.OIDCAuthenticationCallbackView):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_on():
            raise Http404
        if throttled(request, OIDC_DOOR):
            return locked_out(request, OIDC_DOOR)
        try:
            return super().get(request)
        except TokenRefused as refusal:
            logger.info("An OpenID Connect sign-in was refused: %s", refusal.reason)
            return refused(request, refusal.reason, OIDC_DOOR)
        except (requests.RequestException, SuspiciousOperation) as error:
            logger.warning("An OpenID Connect sign-in failed: %s", error)
            return refused(request, _("The provider's answer could not be read."), OIDC_DOOR)

    def login_failure(self) -> HttpResponse:
        # A person who cancels at the provider (``?error=access_denied``) tried nothing: not
        # counted as a failed sign-in, as an answer that does not verify is.
        cancelled = "error" in self.request.GET
        reason = getattr(self.request, "signin_refusal", None)
        return refused(
            self.request,
            reason or _("The provider did not sign you in."),
            OIDC_DOOR,
            count=not cancelled,
        )


def sign_out_url(request: HttpRequest) -> str | None:
    """The provider's end-session address for this session's ID token, where it has one."""
    id_token = request.session.get("oidc_id_token")
    if not (oidc_on() and settings.OIDC_OP_LOGOUT_ENDPOINT and id_token):
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": request.build_absolute_uri(resolve_url(settings.LOGIN_URL)),
            "client_id": settings.OIDC_RP_CLIENT_ID,
        }
    )
    return f"{settings.OIDC_OP_LOGOUT_ENDPOINT}?{query}"
