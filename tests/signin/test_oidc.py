"""Signing in through a real OpenID Connect provider (django-oauth-toolkit's, in a process of its
own on 127.0.0.1): the account a sign-in makes, a grant, and every ID token to refuse."""

import itertools
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import get_user_model
from django.test import Client

from common.roles import LEADERSHIP
from signin.models import ExternalIdentity
from signin.oidc import ProviderBackend, TokenRefused, affiliations_of
from signin.services import grant_access
from tests.factories import InstitutionFactory, UserFactory
from tests.signin.conftest import oidc_sign_in

PASSWORD = "provider-password"
PEOPLE = itertools.count()


@pytest.fixture
def hanako(oidc_rp):
    name = f"hanako-{next(PEOPLE)}"  # the provider keeps its users from test to test
    sub = oidc_rp.add_user(name, PASSWORD, email="hanako@example.ac.jp", first_name="Hanako")
    return name, sub


def test_a_first_sign_in_makes_an_account_without_access_until_an_administrator_grants_it(
    oidc_rp, hanako, superuser
):
    kyoto = InstitutionFactory(code="KU", name="Kyoto University")
    username, sub = hanako
    browser = Client()

    answer = oidc_sign_in(browser, oidc_rp, username, PASSWORD)

    assert answer.status_code == 302 and answer["Location"] == "/"
    identity = ExternalIdentity.objects.get(issuer=oidc_rp.issuer, subject=sub)
    account = identity.user
    assert identity.email == "hanako@example.ac.jp" and account.first_name == "Hanako"
    assert not account.groups.exists() and not account.scope.institutions.exists()
    assert AccessLog.objects.filter(username=account.username).exists()
    assert browser.get("/").status_code == 403

    grant_access(account, role=LEADERSHIP, institution=kyoto, by=superuser, reason="Dean")

    again = Client()
    assert oidc_sign_in(again, oidc_rp, username, PASSWORD).status_code == 302
    dashboards = again.get("/")
    assert dashboards.status_code == 200 and "Kyoto University" in dashboards.content.decode()
    assert ExternalIdentity.objects.filter(user=account).count() == 1


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("wrong-signature", "signature does not match"),
        ("wrong-audience", "meant for another service"),
        ("expired", "outside its time of validity"),
        ("wrong-issuer", "issued by another provider"),
    ],
)
def test_an_id_token_that_does_not_verify_is_refused(oidc_rp, hanako, mode, reason):
    username, _sub = hanako
    oidc_rp.set_mode(mode)

    answer = oidc_sign_in(Client(), oidc_rp, username, PASSWORD)

    assert answer.status_code == 403
    page = answer.content.decode()
    assert "Sign-in refused" in page and reason in page
    assert not ExternalIdentity.objects.exists()
    assert AccessAttempt.objects.filter(username="(OpenID Connect sign-in)").exists()


def test_a_local_account_with_the_same_email_is_never_taken_over(oidc_rp, hanako):
    local = UserFactory(username="hanako", email="hanako@example.ac.jp", is_staff=True)
    username, sub = hanako

    assert oidc_sign_in(Client(), oidc_rp, username, PASSWORD).status_code == 302

    account = ExternalIdentity.objects.get(subject=sub).user
    assert account.pk != local.pk
    assert not local.external_identities.exists()


def test_signing_out_ends_the_session_here_and_at_the_provider(oidc_rp, hanako):
    username, _sub = hanako
    browser = Client()
    oidc_sign_in(browser, oidc_rp, username, PASSWORD)
    seen = len(oidc_rp.sign_out_url_seen())

    out = browser.post("/accounts/logout/")

    assert out.status_code == 302 and out["Location"].startswith(oidc_rp.end_session_endpoint)
    query = parse_qs(urlsplit(out["Location"]).query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    assert browser.get("/")["Location"].startswith("/accounts/login/")
    at_provider = requests.get(out["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302
    assert at_provider.headers["Location"].startswith("http://testserver/accounts/login/")
    assert len(oidc_rp.sign_out_url_seen()) == seen + 1


def test_a_tampered_callback_is_refused_and_counted(oidc_rp):
    browser = Client()
    browser.get("/oidc/authenticate/", {"next": "/"})

    answer = browser.get("/oidc/callback/", {"code": "forged", "state": "forged"})

    assert answer.status_code == 403
    assert get_user_model().objects.count() == 0
    assert AccessAttempt.objects.filter(username="(OpenID Connect sign-in)").exists()


def test_cancelling_at_the_provider_is_no_failed_sign_in(oidc_rp):
    browser = Client()
    browser.get("/oidc/authenticate/", {"next": "/"})

    answer = browser.get("/oidc/callback/", {"error": "access_denied", "state": "s"})

    assert answer.status_code == 403
    assert "The provider did not sign you in." in answer.content.decode()
    assert not AccessAttempt.objects.exists()


def test_an_academic_federations_affiliations_are_read_for_a_suggested_role():
    assert affiliations_of({"eduperson_affiliation": ["staff", "member"]}) == ("staff", "member")
    assert affiliations_of({"eduperson_affiliation": "faculty"}) == ("faculty",)
    assert affiliations_of({"eduperson_affiliation": [{"nested": 1}]}) == ()
    assert affiliations_of({}) == ()
    assert affiliations_of({"eduperson_affiliation": 7}) == ()
    assert affiliations_of({"eduperson_affiliation": {"staff": True}}) == ()


def test_repeated_refusals_from_one_address_lock_its_openid_connect_sign_in(
    oidc_rp, hanako, settings
):
    settings.AXES_FAILURE_LIMIT = 2
    username, _sub = hanako
    oidc_rp.set_mode("expired")
    assert oidc_sign_in(Client(), oidc_rp, username, PASSWORD).status_code == 403
    assert oidc_sign_in(Client(), oidc_rp, username, PASSWORD).status_code == 429
    oidc_rp.set_mode("valid")

    locked = oidc_sign_in(Client(), oidc_rp, username, PASSWORD)

    assert locked.status_code == 429 and "refused sign-ins" in locked.content.decode()
    assert not ExternalIdentity.objects.exists()
    elsewhere = oidc_sign_in(Client(REMOTE_ADDR="192.0.2.8"), oidc_rp, username, PASSWORD)
    assert elsewhere.status_code == 302


def test_a_deactivated_account_is_told_so_and_not_signed_in(oidc_rp, hanako):
    username, sub = hanako
    oidc_sign_in(Client(), oidc_rp, username, PASSWORD)
    get_user_model().objects.filter(external_identities__subject=sub).update(is_active=False)
    browser = Client()

    answer = oidc_sign_in(browser, oidc_rp, username, PASSWORD)

    assert answer.status_code == 403 and "deactivated" in answer.content.decode()
    assert browser.get("/")["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("token", [None, "", "not-a-jwt", "a.b.c", "e30.e30.e30"])
def test_a_token_answer_that_holds_no_id_token_is_refused(oidc_rp, token):
    with pytest.raises(TokenRefused):
        ProviderBackend().verify_token(token, nonce="n")
