"""A real SAML identity provider and a real OpenID Connect provider on 127.0.0.1, and the
product configured to sign in through them, as its settings would configure it."""

from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client

from signin import saml
from signin.saml_settings import sp_config
from tests.signin.oidc import OIDCProvider
from tests.signin.saml_idp import TestIdP, auto_post_form, make_key_pair

SCOPE = "idp.example.ac.jp"
SAML_BACKEND = "signin.saml.GakuNinBackend"
OIDC_BACKEND = "signin.oidc.ProviderBackend"


@pytest.fixture(scope="session")
def identity_provider(tmp_path_factory):
    idp = TestIdP(tmp_path_factory.mktemp("idp"), scope=SCOPE).start()
    yield idp
    idp.stop()


@pytest.fixture(scope="session")
def sp_keys(tmp_path_factory):
    return make_key_pair(tmp_path_factory.mktemp("sp"), "testserver")


def saml_settings(idp: TestIdP, sp_keys, metadata: list[str], cert: str = "") -> dict:
    key, cert_file = sp_keys
    return sp_config(
        site_url="http://testserver",
        entity_id="http://testserver/saml2/metadata/",
        metadata=metadata,
        metadata_cert=cert,
        key_file=str(key),
        cert_file=str(cert_file),
        xmlsec_binary="/usr/bin/xmlsec1",
    )


def use_saml(settings, config: dict) -> None:
    settings.SAML_CONFIG = config
    if SAML_BACKEND not in settings.AUTHENTICATION_BACKENDS:
        settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, SAML_BACKEND]
    saml._loaded.clear()


@pytest.fixture
def saml_sp(settings, identity_provider, sp_keys, db):
    """The product as the identity provider's service provider (its metadata from a file)."""
    use_saml(
        settings, saml_settings(identity_provider, sp_keys, [str(identity_provider.metadata_path)])
    )
    identity_provider.trust_sp(Client().get("/saml2/metadata/").content)
    identity_provider.sp_keys = sp_keys
    yield identity_provider
    saml._loaded.clear()


def saml_sign_in(client: Client, idp: TestIdP, eppn: str, mode: str = "valid", **attributes):
    """Sign in at the identity provider as ``eppn`` and post its answer to the product, as a
    browser does; the product's answer to that post."""
    released = {
        "eduPersonPrincipalName": eppn,
        "mail": eppn,
        "displayName": "Hanako Yamada",
        "jaDisplayName": "山田 花子",
        "eduPersonAffiliation": ["staff", "member"],
        "o": "Kyoto University",
        "jao": "京都大学",
        **attributes,
    }
    idp.sign_in_as(f"transient-{eppn}", released, mode=mode)
    return client.post(*idp_answer(client, {"next": "/"}))


def idp_answer(client: Client, query: dict) -> tuple[str, dict]:
    """Start a sign-in at the product and follow it to the identity provider: the product's
    address its answer is posted to, and the answer's fields."""
    start = client.get("/saml2/login/", query)
    assert start.status_code == 302, start.content
    at_idp = requests.get(start["Location"], timeout=10)
    assert at_idp.status_code == 200, at_idp.text
    action, fields = auto_post_form(at_idp.text)
    return urlsplit(action).path, fields


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    provider = OIDCProvider(tmp_path_factory.mktemp("oidc")).start()
    yield provider
    provider.stop()


@pytest.fixture
def oidc_rp(settings, oidc_provider, db):
    """The product as the provider's relying party."""
    for name, value in oidc_provider.settings().items():
        setattr(settings, name, value)
    if OIDC_BACKEND not in settings.AUTHENTICATION_BACKENDS:
        settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, OIDC_BACKEND]
    oidc_provider.set_mode("valid")
    yield oidc_provider
    oidc_provider.set_mode("valid")


def oidc_sign_in(client: Client, provider: OIDCProvider, username: str, password: str):
    """Sign in at the provider and bring its code back to the product, as a browser does."""
    start = client.get("/oidc/authenticate/", {"next": "/"})
    assert start.status_code == 302, start.content
    callback = urlsplit(provider.authorize(start["Location"], username, password))
    return client.get(f"{callback.path}?{callback.query}")


@pytest.fixture(scope="session")
def second_provider(tmp_path_factory):
    """Another university's identity provider of the same federation, with its own scope."""
    idp = TestIdP(tmp_path_factory.mktemp("idp2"), scope="other-university.ac.jp").start()
    yield idp
    idp.stop()


@pytest.fixture
def federation(settings, identity_provider, second_provider, sp_keys, db):
    """The product as a service provider of a federation of two identity providers (GakuNin's
    aggregate holds hundreds), each trusting it."""
    sources = [str(identity_provider.metadata_path), str(second_provider.metadata_path)]
    use_saml(settings, saml_settings(identity_provider, sp_keys, sources))
    metadata = Client().get("/saml2/metadata/").content
    identity_provider.trust_sp(metadata)
    second_provider.trust_sp(metadata)
    yield identity_provider, second_provider
    saml._loaded.clear()
