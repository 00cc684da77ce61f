"""The service provider's pysaml2 configuration, built from the environment by the settings
(``config/settings.py``), which is why this module imports nothing of Django's."""

import re
from pathlib import Path

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT

# pysaml2's names of what GakuNin releases (signin/attributemaps/).
ATTRIBUTE_MAP_DIR = str(Path(__file__).resolve().parent / "attributemaps")


def sp_config(
    *,
    site_url: str,
    entity_id: str,
    metadata: list[str],
    metadata_cert: str,
    key_file: str,
    cert_file: str,
    xmlsec_binary: str,
) -> dict:
    """pysaml2's configuration of the service provider: its endpoints under ``site_url``, the
    identity providers of ``metadata`` (files, or URLs whose metadata ``metadata_cert`` signs)."""
    files = [source for source in metadata if not re.match(r"https?://", source)]
    urls = [source for source in metadata if re.match(r"https?://", source)]
    return {
        "entityid": entity_id,
        "xmlsec_binary": xmlsec_binary,
        "attribute_map_dir": ATTRIBUTE_MAP_DIR,
        "allow_unknown_attributes": False,
        "accepted_time_diff": 60,
        "service": {
            "sp": {
                "name": "Internationalization strategy portfolio",
                "name_id_format": [NAMEID_FORMAT_TRANSIENT, NAMEID_FORMAT_PERSISTENT],
                "endpoints": {
                    "assertion_consumer_service": [(f"{site_url}/saml2/acs/", BINDING_HTTP_POST)],
                    "single_logout_service": [
                        (f"{site_url}/saml2/ls/", BINDING_HTTP_REDIRECT),
                        (f"{site_url}/saml2/ls/post/", BINDING_HTTP_POST),
                    ],
                },
                "required_attributes": ["eduPersonPrincipalName"],
                "optional_attributes": [
                    "mail",
                    "displayName",
                    "jaDisplayName",
                    "eduPersonAffiliation",
                    "o",
                    "jao",
                ],
                "want_assertions_signed": True,
                "want_response_signed": False,
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "allow_unsolicited": False,
            }
        },
        "metadata": {
            **({"local": files} if files else {}),
            **({"remote": [{"url": url, "cert": metadata_cert} for url in urls]} if urls else {}),
        },
        "key_file": key_file,
        "cert_file": cert_file,
        "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}],
    }
