"""Signing in through a SAML 2 identity provider (GakuNin, Shibboleth): the product as a service
provider, with djangosaml2 and pysaml2, whose XML signatures Debian's xmlsec1 checks.

Assertions must be signed by a key the provider's metadata names; the audience must be this
service provider; the time must lie within the assertion's validity (a minute's slack between
clocks); and eduPersonPrincipalName, the identity kept, must lie in a scope the provider's
metadata declares (``shibmd:Scope``), so that one university's provider cannot sign in another's
staff. A refusal says which of these failed, and counts as a failed sign-in for throttling.
"""

import copy
import logging
import threading
import time

from django.conf import settings
from django.contrib import auth
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from djangosaml2 import views as saml_views
from djangosaml2.backends import Saml2Backend
from djangosaml2.overrides import Saml2Client
from djangosaml2.utils import get_location
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client_base import LogoutError
from saml2.config import SPConfig
from saml2.response import StatusError, UnsolicitedResponse
from saml2.sigver import MissingKey, SignatureError, verify_redirect_signature
from saml2.validate import ResponseLifetimeExceed, ToEarly

from signin.models import Protocol
from signin.services import Released, signed_in_user
from signin.throttle import SAML_DOOR, inactive_account, locked_out, refused, throttled

logger = logging.getLogger(__name__)


# The largest SAML message read (base64): an identity provider's signed answer with every
# attribute is a few kilobytes; anything near this is no answer, and is not parsed.
MAX_MESSAGE_CHARS = 256 * 1024
# After a failed reading of the metadata, the one read before is used this long.
RETRY_SECONDS = 300
_loaded: dict = {}
_loading = threading.Lock()


def config(request: HttpRequest | None = None) -> SPConfig:
    """The service provider's configuration, its metadata read once per process and again after
    SAML_METADATA_REFRESH_SECONDS (a federation's aggregate is large, and changes daily)."""
    wanted = settings.SAML_CONFIG
    with _loading:
        kept = _loaded.get("config") if _loaded.get("of") is wanted else None
        fresh = time.monotonic() - _loaded.get("at", 0) < settings.SAML_METADATA_REFRESH_SECONDS
        if kept is None or not fresh:
            try:
                loaded = SPConfig()
                loaded.load(copy.deepcopy(wanted))
            except Exception:
                if kept is None:
                    raise
                # A federation's server that does not answer now: sign in with what was read,
                # and try again after RETRY_SECONDS.
                logger.exception("The identity providers' metadata could not be read again.")
                _loaded["at"] = time.monotonic() - settings.SAML_METADATA_REFRESH_SECONDS
                _loaded["at"] += RETRY_SECONDS
                return kept
            kept = loaded
            _loaded.update(config=kept, of=wanted, at=time.monotonic())
        return kept


def saml_on() -> bool:
    return bool(settings.SAML_CONFIG)


class ScopeRefused(Exception):
    pass


def scopes_of(metadata, issuer: str) -> list:
    return list(metadata.shibmd_scopes(issuer, "idpsso_descriptor"))


def check_scope(metadata, issuer: str, ava: dict) -> None:
    """eduPersonPrincipalName (user@scope) must lie in one of the provider's declared scopes."""
    values = ava.get("eduPersonPrincipalName") or []
    usable = len(values) == 1 and isinstance(values[0], str) and values[0].isprintable()
    if not usable or values[0].count("@") != 1 or len(values[0]) > 255:
        raise ScopeRefused(_("The identity provider released no single eduPersonPrincipalName."))
    user, scope = values[0].rsplit("@", 1)
    for declared in scopes_of(metadata, issuer):
        text = declared["text"]
        if user and (
            text.fullmatch(scope) if declared["regexp"] else text.lower() == scope.lower()
        ):
            return
    raise ScopeRefused(
        _("The identifier %(eppn)s is outside the scopes its identity provider may assert.")
        % {"eppn": values[0]}
    )


def first(ava: dict, name: str) -> str:
    values = ava.get(name) or []
    return str(values[0]).strip() if values else ""


def principal(ava: dict) -> str:
    """eduPersonPrincipalName with its scope, a domain, in lower case: one person, however their
    provider spells the domain."""
    user, _at, scope = first(ava, "eduPersonPrincipalName").rpartition("@")
    return f"{user}@{scope.lower()}"


def released_by(issuer: str, ava: dict) -> Released:
    return Released(
        protocol=Protocol.SAML,
        issuer=issuer,
        subject=principal(ava),
        email=first(ava, "mail"),
        display_name=first(ava, "displayName"),
        display_name_ja=first(ava, "jaDisplayName"),
        given_name=first(ava, "givenName"),
        family_name=first(ava, "sn"),
        affiliations=tuple(str(value).strip() for value in ava.get("eduPersonAffiliation") or []),
        organization=first(ava, "o"),
        organization_ja=first(ava, "jao"),
        username=principal(ava),
    )


class GakuNinBackend(Saml2Backend):
    """The account of the identity an assertion names (``signin.services``), never another's."""

    def authenticate(self, request, session_info=None, **kwargs):
        if not session_info or "ava" not in session_info:
            return None
        user = signed_in_user(released_by(session_info["issuer"], session_info["ava"]))
        if not self.user_can_authenticate(user):
            request.signin_refusal = inactive_account()  # for the page: djangosaml2 says no more
            return None
        return user


def refusal(exception: Exception | None) -> str:
    """Why an assertion was refused, in the reader's language."""
    if isinstance(exception, (SignatureError, MissingKey)) or "signature" in str(exception).lower():
        return _("Its signature does not match a key of the identity provider.")
    if isinstance(exception, (ResponseLifetimeExceed, ToEarly)):
        return _("It is outside its time of validity (expired, or not yet valid).")
    if "AudienceRestriction" in str(exception):
        return _("It was meant for another service, not this one.")
    if isinstance(exception, UnsolicitedResponse):
        return _("It answers no sign-in started here (it may have been used already).")
    if isinstance(exception, StatusError):
        return _("The identity provider did not sign you in.")
    return _("It could not be verified.")


class SamlOnly:
    def dispatch(self, request, *args, **kwargs):
        if not saml_on():
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class LoginView(SamlOnly, saml_views.LoginView):
    pass


@method_decorator(csrf_exempt, name="dispatch")
class AssertionConsumer(SamlOnly, saml_views.AssertionConsumerServiceView):
    """djangosaml2's consumer, which turns every refusal after the signature's into one generic
    one: the reason is kept on the request (``signin_refusal``) for the refusal's page."""

    def post(self, request, *args, **kwargs):
        if throttled(request, SAML_DOOR):
            return locked_out(request, SAML_DOOR)
        if len(request.POST.get("SAMLResponse", "")) > MAX_MESSAGE_CHARS:
            reason = _("It is larger than any identity provider's answer.")
            return refused(request, reason, SAML_DOOR)
        return super().post(request, *args, **kwargs)

    def custom_validation(self, response) -> None:
        try:
            check_scope(config().metadata, response.issuer(), response.ava)
        except ScopeRefused as exception:
            self.request.signin_refusal = str(exception)
            raise

    def handle_acs_failure(self, request, exception=None, status=403, **kwargs):
        logger.info("A SAML sign-in was refused: %s", exception)
        reason = getattr(request, "signin_refusal", None) or refusal(exception)
        return refused(request, reason, SAML_DOOR, status=403)


@method_decorator(csrf_exempt, name="dispatch")
class LogoutService(SamlOnly, saml_views.LogoutView):
    """The identity provider's answer to a sign-out begun here, or its request to sign out (the
    person signed out there, or at another service): a request is followed only when signed by
    a key of its provider's metadata, so that no link can sign anyone out."""

    def get(self, request, *args, **kwargs):
        if "SAMLRequest" in request.GET and not self.signed(request.GET, BINDING_HTTP_REDIRECT):
            return self.refuse(request)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if "SAMLRequest" in request.POST and not self.signed(request.POST, BINDING_HTTP_POST):
            return self.refuse(request)
        return super().post(request, *args, **kwargs)

    def signed(self, data, binding: str) -> bool:
        if len(data["SAMLRequest"]) > MAX_MESSAGE_CHARS:
            return False
        client = Saml2Client(config())
        try:
            parsed = client.parse_logout_request(data["SAMLRequest"], binding)
        except Exception:  # pysaml2 raises what it meets: any is a request not to follow
            logger.info("A SAML logout request could not be read.", exc_info=True)
            return False
        if parsed is None or parsed.message.issuer is None:
            return False
        if binding == BINDING_HTTP_POST:
            return parsed.message.signature is not None  # verified as it was read
        if "Signature" not in data or "SigAlg" not in data:
            return False
        message = {
            key: data[key]
            for key in ("SAMLRequest", "RelayState", "SigAlg", "Signature")
            if key in data
        }
        certs = client.sec.metadata.certs(parsed.message.issuer.text, "any", "signing")
        return any(
            verify_redirect_signature(message, client.sec.sec_backend, cert) for _, cert in certs
        )

    def refuse(self, request) -> HttpResponse:
        reason = _("Its signature does not match a key of the identity provider.")
        return refused(request, reason, SAML_DOOR, count=False)


class Metadata(SamlOnly, saml_views.MetadataView):
    pass


def sign_out(request: HttpRequest) -> HttpResponse | None:
    """Sign out here and, where the identity provider has single logout, there: the redirect to
    it, or None where this session did not come from a SAML provider or it has none."""
    if not saml_on() or not hasattr(request, "saml_session"):
        return None
    subject_id = saml_views._get_subject_id(request.saml_session)
    if subject_id is None:
        return None
    state, client = saml_views.SPConfigMixin().get_state_client(request)
    try:
        result = client.global_logout(subject_id)
    except LogoutError:
        result = {}
    auth.logout(request)
    state.sync()
    for outcome in result.values():
        if isinstance(outcome, tuple) and outcome[0] == BINDING_HTTP_REDIRECT:
            return HttpResponseRedirect(get_location(outcome[1]))
    return None
