"""The settings of signing in with a university account: a deployment with both ways on passes
Django's deployment check, and a configuration that would let anyone's metadata or tokens in is
refused at start-up, naming the setting to fix."""

import pytest

from tests.test_production import production_env, run

CHECK = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]
SAML = {
    "SAML_IDP_METADATA": "https://metadata.gakunin.nii.ac.jp/gakunin-metadata.xml",
    "SAML_IDP_METADATA_CERT": "/etc/portfolio/gakunin-signer.pem",
    "SAML_SP_KEY_FILE": "/etc/portfolio/sp-key.pem",
    "SAML_SP_CERT_FILE": "/etc/portfolio/sp-cert.pem",
}
OIDC = {
    "OIDC_RP_CLIENT_ID": "portfolio",
    "OIDC_RP_CLIENT_SECRET": "secret",
    "OIDC_OP_ISSUER": "https://login.example.ac.jp",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://login.example.ac.jp/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": "https://login.example.ac.jp/token",
    "OIDC_OP_USER_ENDPOINT": "https://login.example.ac.jp/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": "https://login.example.ac.jp/jwks",
}


def test_a_deployment_with_saml_and_openid_connect_passes_the_deployment_check(tmp_path):
    result = run(CHECK, production_env(tmp_path, **SAML, **OIDC))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("left_out", "named"),
    [
        ("SAML_IDP_METADATA_CERT", "SAML_IDP_METADATA_CERT"),
        ("SAML_SP_KEY_FILE", "SAML_SP_KEY_FILE"),
        ("OIDC_OP_ISSUER", "OIDC_OP_ISSUER"),
        ("OIDC_OP_JWKS_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT"),
    ],
)
def test_a_configuration_missing_a_safeguard_refuses_to_start(tmp_path, left_out, named):
    env = production_env(tmp_path, **SAML, **OIDC)
    del env[left_out]
    result = run(CHECK, env)
    assert result.returncode != 0
    assert named in result.stderr


def test_a_mapping_that_is_not_json_refuses_to_start_naming_it(tmp_path):
    result = run(CHECK, production_env(tmp_path, SIGNIN_AFFILIATION_ROLES="staff=Editor"))
    assert result.returncode != 0
    assert "SIGNIN_AFFILIATION_ROLES is not JSON" in result.stderr
