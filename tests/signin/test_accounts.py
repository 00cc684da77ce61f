"""Accounts that sign in through an identity provider, without one running: the sign-in page's
ways in, the suggestions an installation maps, the administrators' list of accounts awaiting
access (its queries do not grow with the accounts) and an account's own page."""

import pytest
from django.contrib.auth import get_user_model
from django.core.checks import run_checks

from common.roles import ADMINISTRATOR, EDITOR, LEADERSHIP
from signin import saml
from signin.models import Protocol
from signin.services import Released, grant_access, signed_in_user, suggestion
from signin.tasks import tell_administrators
from tests.factories import (
    ExternalIdentityFactory,
    InstitutionFactory,
    UserFactory,
    user_with_role,
)

IDP = "https://idp.example.ac.jp/idp/shibboleth"


def released(subject: str, **fields) -> Released:
    return Released(protocol=Protocol.SAML, issuer=IDP, subject=subject, **fields)


def test_the_sign_in_page_offers_each_way_in_that_is_configured(client, settings):
    page = client.get("/accounts/login/").content.decode()
    assert "/saml2/login/" not in page and "/oidc/authenticate/" not in page

    settings.SAML_CONFIG = {"entityid": "http://testserver/saml2/metadata/"}
    settings.SAML_SIGN_IN_LABEL = "GakuNin"
    settings.OIDC_RP_CLIENT_ID = "portfolio"
    page = client.get("/accounts/login/", {"next": "/goals/"}).content.decode()

    assert 'href="/saml2/login/?next=%2Fgoals%2F"' in page and "GakuNin" in page
    assert 'href="/oidc/authenticate/?next=%2Fgoals%2F"' in page and "OpenID Connect" in page
    assert 'name="password"' in page  # local accounts keep signing in


@pytest.mark.django_db
def test_suggestions_wait_for_an_administrator_unless_the_setting_grants_them(settings):
    kyoto = InstitutionFactory(code="KU")
    settings.SIGNIN_IDP_INSTITUTIONS = {IDP: "KU"}
    settings.SIGNIN_AFFILIATION_ROLES = {"faculty": LEADERSHIP, "staff": EDITOR}

    waiting = signed_in_user(released("a@example.ac.jp", affiliations=("member", "staff")))
    identity = waiting.external_identities.get()
    assert (identity.suggested_institution, identity.suggested_role) == (kyoto, EDITOR)
    assert not waiting.groups.exists() and not waiting.is_staff

    settings.SIGNIN_GRANT_SUGGESTED = True
    granted = signed_in_user(released("b@example.ac.jp", affiliations=("faculty", "staff")))
    assert list(granted.groups.values_list("name", flat=True)) == [LEADERSHIP]
    assert list(granted.scope.institutions.all()) == [kyoto] and not granted.is_staff
    # Granted once, at the first sign-in: a later one changes nothing an administrator set.
    granted.groups.clear()
    signed_in_user(released("b@example.ac.jp", affiliations=("faculty",)))
    assert not granted.groups.exists()


@pytest.mark.django_db
def test_a_later_sign_in_keeps_what_the_provider_releases_now():
    first = signed_in_user(released("c@example.ac.jp", email="c@example.ac.jp", display_name="C"))
    again = signed_in_user(
        released("c@example.ac.jp", email="c.new@example.ac.jp", display_name="C2")
    )

    assert again.pk == first.pk
    identity = again.external_identities.get()
    assert (identity.email, identity.display_name, again.email) == (
        "c.new@example.ac.jp",
        "C2",
        "c.new@example.ac.jp",
    )
    assert identity.history.count() == 2
    assert identity.history.first().history_change_reason == "Attributes released at a sign-in"


@pytest.mark.django_db
def test_an_identity_of_another_provider_is_another_account():
    ours = signed_in_user(released("d@example.ac.jp"))
    theirs = signed_in_user(
        Released(
            protocol=Protocol.SAML, issuer="https://idp.other.ac.jp", subject="d@example.ac.jp"
        )
    )
    assert ours.pk != theirs.pk and ours.username != theirs.username


@pytest.mark.parametrize("accounts", [2, 12])
def test_the_list_of_accounts_awaiting_access_reads_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries, accounts
):
    kyoto = InstitutionFactory(code="KU", name="Kyoto University")
    for _ in range(accounts):
        ExternalIdentityFactory(suggested_institution=kyoto, suggested_role=EDITOR)
    admin_client.get("/admin/signin/awaitingaccess/")  # warm: sessions, permissions

    with django_assert_num_queries(8):
        page = admin_client.get("/admin/signin/awaitingaccess/")

    assert page.content.decode().count("Kyoto University") == accounts


def test_an_accounts_page_shows_the_identities_it_signs_in_with(admin_client):
    identity = ExternalIdentityFactory(display_name_ja="山田 花子")

    page = admin_client.get(f"/admin/auth/user/{identity.user.pk}/change/").content.decode()

    assert identity.subject in page and "山田 花子" in page and IDP in page


def test_a_granted_account_leaves_the_list(admin_client):
    waiting = ExternalIdentityFactory(suggested_role=LEADERSHIP)
    other = ExternalIdentityFactory()

    answer = admin_client.post(
        "/admin/signin/awaitingaccess/",
        {"action": "grant_suggested", "_selected_action": [waiting.user.pk, other.user.pk]},
        follow=True,
    )

    page = answer.content.decode()
    assert "1 account was granted its suggested role." in page
    assert "1 had no suggested role" in page
    assert list(
        get_user_model().objects.get(pk=waiting.user.pk).groups.values_list("name", flat=True)
    ) == [LEADERSHIP]
    assert f"/admin/auth/user/{other.user.pk}/change/" in page
    assert f"/admin/auth/user/{waiting.user.pk}/change/" not in page


class Metadata:
    """pysaml2's configuration, as far as reading the metadata: fails while ``failing``."""

    failing = False
    reads = 0

    def load(self, config: dict) -> None:
        Metadata.reads += 1
        if Metadata.failing:
            raise OSError("the federation's server does not answer")


def test_metadata_that_cannot_be_read_again_leaves_sign_in_on_what_was_read(settings, monkeypatch):
    monkeypatch.setattr(saml, "SPConfig", Metadata)
    monkeypatch.setattr(saml, "_loaded", {})
    settings.SAML_CONFIG = {"entityid": "http://testserver/saml2/metadata/"}
    settings.SAML_METADATA_REFRESH_SECONDS = 3600
    first = saml.config()
    assert saml.config() is first and Metadata.reads == 1  # kept, not read at every request

    Metadata.failing = True
    saml._loaded["at"] -= 3601
    assert saml.config() is first  # the server fails: the metadata read before still serves
    assert saml.config() is first and Metadata.reads == 2  # and is not asked again at once

    Metadata.failing = False
    saml._loaded["at"] -= 3601
    assert saml.config() is not first and Metadata.reads == 3

    settings.SAML_CONFIG = {"entityid": "http://testserver/other/"}
    Metadata.failing = True
    with pytest.raises(OSError):
        saml.config()  # nothing read before for this configuration: the failure is shown


def test_a_mistyped_role_in_the_mapping_fails_the_system_check_and_suggests_nothing(settings, db):
    settings.SIGNIN_AFFILIATION_ROLES = {"staff": "Editr"}

    errors = [error for error in run_checks() if error.id == "signin.E001"]

    assert len(errors) == 1 and "'Editr', which is no role" in errors[0].msg
    assert suggestion(IDP, ("staff",)) == (None, "")


@pytest.mark.django_db
def test_control_characters_a_provider_releases_are_never_written():
    account = signed_in_user(
        released(
            "e@example.ac.jp\x00",
            email="e@example.ac.jp",
            display_name="E\x00 Tanaka\x1b[31m",
            affiliations=("staff\x00", "\x07"),
            username="e\x00@example.ac.jp",
        )
    )

    identity = account.external_identities.get()
    assert identity.subject == "e@example.ac.jp"
    assert identity.display_name == "E Tanaka[31m" and identity.affiliations == "staff"
    assert "\x00" not in account.username
    assert signed_in_user(released("e@example.ac.jp")).pk == account.pk


def mails_queued(callbacks: list) -> list:
    return [
        call for call in callbacks if getattr(call, "func", None) == tell_administrators.enqueue
    ]


@pytest.mark.django_db
def test_administrators_are_mailed_in_their_language_that_an_account_awaits_access(
    settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://portfolio.example.ac.jp"
    english = UserFactory(username="root", is_superuser=True, email="root@example.ac.jp")
    japanese = user_with_role(ADMINISTRATOR, username="kanri", email="kanri@example.ac.jp")
    japanese.scope.language = "ja"
    japanese.scope.save()
    UserFactory(username="editor-only", email="editor@example.ac.jp")  # not an administrator

    with django_capture_on_commit_callbacks() as queued:
        waiting = signed_in_user(released("f@example.ac.jp", display_name_ja="藤田 文"))
    assert len(mails_queued(queued)) == 1  # the mail waits for the account to be committed
    assert tell_administrators.call(waiting.pk) == 2

    by_address = {message.to[0]: message for message in mailoutbox}
    assert set(by_address) == {english.email, japanese.email}
    assert by_address[english.email].subject == f"An account awaits access: {waiting.username}"
    assert "藤田 文" in by_address[english.email].body and IDP in by_address[english.email].body
    assert "https://portfolio.example.ac.jp/admin/signin/awaitingaccess/" in (
        by_address[english.email].body
    )
    assert "アクセス権" in by_address[japanese.email].subject
    # Granted before the worker ran: nobody is told of a wait that is over.
    grant_access(waiting, role=LEADERSHIP, institution=None, by=english, reason="Dean")
    assert tell_administrators.call(waiting.pk) == 0


@pytest.mark.django_db
def test_no_mail_is_queued_where_mail_is_not_configured(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_HOST = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    with django_capture_on_commit_callbacks() as queued:
        signed_in_user(released("g@example.ac.jp"))
    assert mails_queued(queued) == []
