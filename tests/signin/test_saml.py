"""Signing in through a real SAML identity provider (pysaml2's, on 127.0.0.1): the account an
assertion makes, an administrator's grant, and every assertion the product must refuse."""

import base64
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import get_user_model
from django.test import Client

from common.middleware import LAST_ACTIVITY_KEY
from common.roles import EDITOR
from signin.models import ExternalIdentity
from tests.factories import InstitutionFactory, UserFactory
from tests.signin.conftest import SCOPE, idp_answer, saml_settings, saml_sign_in, use_saml

pytestmark = [pytest.mark.saml, pytest.mark.django_db(transaction=False)]
ALICE = f"alice@{SCOPE}"


def accounts() -> int:
    return get_user_model().objects.count()


def test_a_first_sign_in_makes_an_account_without_access_until_an_administrator_grants_it(
    saml_sp, settings, superuser, tmp_path
):
    kyoto = InstitutionFactory(code="KU", name="Kyoto University")
    # The installation maps this provider to its institution and staff to editors: suggestions.
    settings.SIGNIN_IDP_INSTITUTIONS = {saml_sp.entity_id: "KU"}
    settings.SIGNIN_AFFILIATION_ROLES = {"staff": EDITOR}
    # The provider's metadata read from its URL, its signature checked against its certificate.
    use_saml(
        settings,
        saml_settings(
            saml_sp, saml_sp.sp_keys, [saml_sp.metadata_url], cert=str(saml_sp.signing_cert)
        ),
    )
    browser = Client()

    answer = saml_sign_in(browser, saml_sp, ALICE)

    assert answer.status_code == 302 and answer["Location"] == "/"
    alice = get_user_model().objects.get(external_identities__subject=ALICE)
    identity = alice.external_identities.get()
    assert identity.issuer == saml_sp.entity_id
    assert (identity.display_name_ja, identity.organization_ja) == ("山田 花子", "京都大学")
    assert identity.affiliations == "staff, member"
    assert (identity.suggested_institution, identity.suggested_role) == (kyoto, EDITOR)
    assert not alice.groups.exists() and not alice.is_staff
    assert not alice.scope.institutions.exists()
    assert AccessLog.objects.filter(username=alice.username).exists()  # the audit of sign-ins
    waiting = browser.get("/")
    assert waiting.status_code == 403
    assert "awaits access" in waiting.content.decode()

    administrator = Client()
    administrator.force_login(superuser)
    listed = administrator.get("/admin/signin/awaitingaccess/")
    assert ALICE in listed.content.decode() and "Kyoto University" in listed.content.decode()
    granted = administrator.post(
        "/admin/signin/awaitingaccess/",
        {"action": "grant_suggested", "_selected_action": [alice.pk]},
        follow=True,
    )
    assert "granted its suggested role" in granted.content.decode()
    alice.refresh_from_db()
    assert list(alice.groups.values_list("name", flat=True)) == [EDITOR] and alice.is_staff
    assert list(alice.scope.institutions.all()) == [kyoto]
    assert ALICE not in administrator.get("/admin/signin/awaitingaccess/").content.decode()

    again = Client()
    assert saml_sign_in(again, saml_sp, ALICE).status_code == 302
    dashboards = again.get("/")
    assert dashboards.status_code == 200
    assert "Kyoto University" in dashboards.content.decode()
    assert accounts() == 2  # the administrator and Alice: the second sign-in made none


def refused_without_account(answer, reason: str) -> None:
    assert answer.status_code == 403
    page = answer.content.decode()
    assert "Sign-in refused" in page and reason in page
    assert not ExternalIdentity.objects.exists()
    assert AccessAttempt.objects.filter(username="(SAML sign-in)").exists()


def test_an_assertion_altered_after_it_was_signed_is_refused(saml_sp):
    answer = saml_sign_in(Client(), saml_sp, ALICE, mode="wrong-signature")
    refused_without_account(answer, "signature does not match")


def test_an_assertion_signed_by_a_key_outside_the_providers_metadata_is_refused(saml_sp):
    answer = saml_sign_in(Client(), saml_sp, ALICE, mode="impostor")
    refused_without_account(answer, "signature does not match")


def test_an_assertion_meant_for_another_service_is_refused(saml_sp):
    answer = saml_sign_in(Client(), saml_sp, ALICE, mode="wrong-audience")
    refused_without_account(answer, "meant for another service")


def test_an_expired_assertion_is_refused(saml_sp):
    answer = saml_sign_in(Client(), saml_sp, ALICE, mode="expired")
    refused_without_account(answer, "outside its time of validity")


def test_an_identifier_outside_the_providers_scope_is_refused(saml_sp):
    answer = saml_sign_in(Client(), saml_sp, "mallory@other-university.ac.jp")
    refused_without_account(answer, "mallory@other-university.ac.jp is outside the scopes")


def test_a_refusal_is_in_the_readers_language(saml_sp):
    browser = Client(headers={"accept-language": "ja"})
    answer = saml_sign_in(browser, saml_sp, ALICE, mode="expired")
    assert answer.status_code == 403
    page = answer.content.decode()
    assert "ログインは拒否されました" in page and "有効期間外です" in page


def test_a_local_account_of_the_same_name_and_email_is_never_taken_over(saml_sp):
    local = UserFactory(username=ALICE, email=ALICE, is_staff=True)

    assert saml_sign_in(Client(), saml_sp, ALICE).status_code == 302

    federated = get_user_model().objects.get(external_identities__subject=ALICE)
    assert federated.pk != local.pk and federated.username != local.username
    local.refresh_from_db()
    assert local.check_password("pass-for-tests") and not local.external_identities.exists()


def test_repeated_refusals_from_one_address_lock_its_saml_sign_in(saml_sp, settings):
    settings.AXES_FAILURE_LIMIT = 2
    assert saml_sign_in(Client(), saml_sp, ALICE, mode="expired").status_code == 403
    # The second refusal reaches the limit: its own answer is the lockout page.
    assert saml_sign_in(Client(), saml_sp, ALICE, mode="expired").status_code == 429

    locked = saml_sign_in(Client(), saml_sp, ALICE)

    assert locked.status_code == 429
    assert "After 2 refused sign-ins through an identity provider" in locked.content.decode()
    assert not ExternalIdentity.objects.exists()
    elsewhere = saml_sign_in(Client(REMOTE_ADDR="192.0.2.7"), saml_sp, ALICE)
    assert elsewhere.status_code == 302


def test_signing_out_ends_the_session_here_and_at_the_identity_provider(saml_sp):
    browser = Client()
    saml_sign_in(browser, saml_sp, ALICE)
    before = len(saml_sp.logout_requests)

    out = browser.post("/accounts/logout/")

    assert out.status_code == 302 and out["Location"].startswith(saml_sp.base_url)
    back = requests.get(out["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302
    assert len(saml_sp.logout_requests) == before + 1
    assert saml_sp.logout_requests[-1]["name_id"] == f"transient-{ALICE}"
    returned = urlsplit(back.headers["Location"])
    done = browser.get(f"{returned.path}?{returned.query}")
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    assert browser.get("/")["Location"].startswith("/accounts/login/")


def test_signing_out_at_the_identity_provider_ends_the_session_here(saml_sp):
    browser = Client()
    saml_sign_in(browser, saml_sp, ALICE)
    assert browser.get("/").status_code == 403  # signed in, awaiting access

    request = urlsplit(saml_sp.logout_request_url("http://testserver/saml2/metadata/"))
    answer = browser.get(f"{request.path}?{request.query}")

    assert answer.status_code == 302 and answer["Location"].startswith(saml_sp.base_url)
    assert "SAMLResponse=" in answer["Location"]  # the product's answer, back to the IdP
    assert browser.get("/")["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("forgery", ["unsigned", "signed by someone else"])
def test_a_logout_request_not_signed_by_the_identity_provider_signs_nobody_out(saml_sp, forgery):
    browser = Client()
    saml_sign_in(browser, saml_sp, ALICE)
    request = urlsplit(saml_sp.logout_request_url("http://testserver/saml2/metadata/"))
    query = {name: values[0] for name, values in parse_qs(request.query).items()}
    if forgery == "unsigned":
        del query["Signature"], query["SigAlg"]
    else:
        query["Signature"] = query["Signature"][:-12] + "AAAAAAAAAAA="

    answer = browser.get(request.path, query)

    assert answer.status_code == 403 and "Its signature does not match" in answer.content.decode()
    assert browser.get("/").status_code == 403  # still signed in, awaiting access


def test_an_idle_staff_session_from_saml_is_signed_out(saml_sp, settings):
    kyoto = InstitutionFactory(code="KU")
    settings.SIGNIN_IDP_INSTITUTIONS = {saml_sp.entity_id: "KU"}
    settings.SIGNIN_AFFILIATION_ROLES = {"staff": EDITOR}
    settings.SIGNIN_GRANT_SUGGESTED = True
    browser = Client()
    saml_sign_in(browser, saml_sp, ALICE)
    alice = get_user_model().objects.get(external_identities__subject=ALICE)
    assert alice.is_staff and list(alice.scope.institutions.all()) == [kyoto]
    assert browser.get("/admin/").status_code == 200
    session = browser.session
    session[LAST_ACTIVITY_KEY] -= settings.ADMIN_IDLE_MINUTES * 60 + 5
    session.save()

    assert browser.get("/admin/")["Location"].startswith("/accounts/login/")


def test_an_answer_posted_again_is_refused(saml_sp):
    browser = Client()
    saml_sp.sign_in_as(f"transient-{ALICE}", {"eduPersonPrincipalName": ALICE})
    action, fields = idp_answer(browser, {"next": "/"})
    assert browser.post(action, fields).status_code == 302

    for replayer in (browser, Client()):
        again = replayer.post(action, fields)
        assert again.status_code == 403
        assert "answers no sign-in started here" in again.content.decode()


def test_a_sign_in_never_sends_the_browser_to_another_site(saml_sp):
    browser = Client()
    saml_sp.sign_in_as(f"transient-{ALICE}", {"eduPersonPrincipalName": ALICE})
    action, fields = idp_answer(browser, {"next": "/"})

    answer = browser.post(action, {**fields, "RelayState": "https://evil.example/"})

    assert answer.status_code == 302 and answer["Location"] == "/"


def test_the_service_providers_metadata_tells_the_federation_what_it_needs(saml_sp):
    metadata = Client().get("/saml2/metadata/").content.decode()
    assert 'entityID="http://testserver/saml2/metadata/"' in metadata
    assert 'Location="http://testserver/saml2/acs/"' in metadata
    assert 'Location="http://testserver/saml2/ls/"' in metadata
    assert 'WantAssertionsSigned="true"' in metadata and 'AuthnRequestsSigned="true"' in metadata
    assert "urn:oid:1.3.6.1.4.1.5923.1.1.1.6" in metadata  # eduPersonPrincipalName, required
    assert "urn:oid:1.3.6.1.4.1.32264.1.1.3" in metadata  # jaDisplayName
    assert 'use="signing"' in metadata


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&c;</samlp:Response>'
)


@pytest.mark.parametrize(
    ("posted", "reason"),
    [
        ("not base64 at all %%%", "could not be verified"),
        (base64.b64encode(b"<unclosed").decode(), "could not be verified"),
        (base64.b64encode(BILLION_LAUGHS.encode()).decode(), "could not be verified"),
        ("A" * (300 * 1024), "larger than any identity provider"),
    ],
    ids=["garbage", "broken XML", "entity expansion", "oversized"],
)
def test_a_hostile_post_to_the_assertion_consumer_is_refused_unparsed(saml_sp, posted, reason):
    answer = Client().post("/saml2/acs/", {"SAMLResponse": posted, "RelayState": "/"})

    assert answer.status_code == 403
    assert reason in answer.content.decode()
    assert not ExternalIdentity.objects.exists()


def test_in_a_federation_the_user_chooses_their_provider(federation):
    ours, theirs = federation
    browser = Client()

    choice = browser.get("/saml2/login/", {"next": "/"})

    page = choice.content.decode()
    assert choice.status_code == 200 and "Choose your identity provider" in page
    assert f"idp={quote(ours.entity_id, safe='')}" in page
    assert f"idp={quote(theirs.entity_id, safe='')}" in page
    chosen = browser.get("/saml2/login/", {"idp": theirs.entity_id, "next": "/"})
    assert chosen.status_code == 302 and chosen["Location"].startswith(theirs.base_url)


def test_one_universitys_provider_cannot_sign_in_another_universitys_staff(federation):
    _ours, theirs = federation
    browser = Client()
    theirs.sign_in_as("transient-x", {"eduPersonPrincipalName": ALICE})  # Alice is ours

    action, fields = idp_answer(browser, {"idp": theirs.entity_id, "next": "/"})
    answer = browser.post(action, fields)

    assert answer.status_code == 403
    assert f"{ALICE} is outside the scopes" in answer.content.decode()
    assert not ExternalIdentity.objects.exists()
    # Their own staff, within their scope, are theirs: an identity of their provider.
    theirs.sign_in_as("transient-y", {"eduPersonPrincipalName": "bob@other-university.ac.jp"})
    action, fields = idp_answer(browser, {"idp": theirs.entity_id, "next": "/"})
    assert browser.post(action, fields).status_code == 302
    assert ExternalIdentity.objects.get().issuer == theirs.entity_id


def test_a_deactivated_account_is_told_so_and_not_signed_in(saml_sp):
    saml_sign_in(Client(), saml_sp, ALICE)
    get_user_model().objects.filter(external_identities__subject=ALICE).update(is_active=False)
    browser = Client()

    answer = saml_sign_in(browser, saml_sp, ALICE)

    assert answer.status_code == 403 and "deactivated" in answer.content.decode()
    assert browser.get("/")["Location"].startswith("/accounts/login/")
