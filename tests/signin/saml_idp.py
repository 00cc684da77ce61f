"""A real SAML 2 identity provider for end-to-end sign-in tests.

It plays a GakuNin (Shibboleth) IdP: signed metadata carrying a ``shibmd:Scope``,
GakuNin attribute names (OID URIs), HTTP-Redirect single sign-on answered with an
auto-posting HTTP-POST form, and HTTP-Redirect single logout.  It is built on
pysaml2's ``saml2.server.Server`` and served by a threaded ``wsgiref`` server on
127.0.0.1 in a daemon thread.

    idp = TestIdP(tmp_path).start()
    idp.trust_sp(sp_metadata_xml)
    idp.sign_in_as("alice", {"eduPersonPrincipalName": "alice@idp.example.ac.jp"})
    ...
    idp.stop()

Besides ``"valid"``, ``sign_in_as`` takes modes that produce responses a correctly
configured service provider must refuse: ``"wrong-signature"``, ``"impostor"``,
``"wrong-audience"`` and ``"expired"``.
"""

from __future__ import annotations

import datetime
import html.parser
import re
import socketserver
import threading
import traceback
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import (
    BINDING_HTTP_POST,
    BINDING_HTTP_REDIRECT,
    class_name,
    samlp,
)
from saml2.authn_context import PASSWORDPROTECTEDTRANSPORT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.s_utils import UnknownPrincipal, UnsupportedBinding, sid
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT, NameID
from saml2.server import Server
from saml2.sigver import pre_signature_part, security_context
from saml2.time_util import instant
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

__all__ = [
    "ATTRIBUTES",
    "ATTRIBUTE_MAP_DIR_SOURCE",
    "MODES",
    "TestIdP",
    "auto_post_form",
    "make_key_pair",
]

XMLSEC_BINARY = "/usr/bin/xmlsec1"

# GakuNin attribute names: friendly name -> OID URI (NameFormat ...:attrname-format:uri).
ATTRIBUTES = {
    "eduPersonPrincipalName": "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
    "mail": "urn:oid:0.9.2342.19200300.100.1.3",
    "displayName": "urn:oid:2.16.840.1.113730.3.1.241",
    "jaDisplayName": "urn:oid:1.3.6.1.4.1.32264.1.1.3",
    "eduPersonAffiliation": "urn:oid:1.3.6.1.4.1.5923.1.1.1.1",
    "eduPersonScopedAffiliation": "urn:oid:1.3.6.1.4.1.5923.1.1.1.9",
    "o": "urn:oid:2.5.4.10",
    "jao": "urn:oid:1.3.6.1.4.1.32264.1.1.4",
}


def _attribute_map_source() -> str:
    fro = "".join(f"        {oid!r}: {name!r},\n" for name, oid in ATTRIBUTES.items())
    to = "".join(f"        {name!r}: {oid!r},\n" for name, oid in ATTRIBUTES.items())
    return (
        '"""GakuNin attribute names (OID URIs) for pysaml2."""\n\n'
        "MAP = {\n"
        f"    'identifier': {NAME_FORMAT_URI!r},\n"
        "    'fro': {\n" + fro + "    },\n"
        "    'to': {\n" + to + "    },\n"
        "}\n"
    )


# The text of a pysaml2 attribute-map module (``attribute_map_dir``) for the names above.
ATTRIBUTE_MAP_DIR_SOURCE: str = _attribute_map_source()

MODES = ("valid", "wrong-signature", "impostor", "wrong-audience", "expired")
OTHER_AUDIENCE = "https://other-sp.example.org/shibboleth"
METADATA_CONTENT_TYPE = "application/samlmetadata+xml"
METADATA_PREFIXES = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "shibmd": "urn:mace:shibboleth:metadata:1.0",
    "alg": "urn:oasis:names:tc:SAML:metadata:algsupport",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "xs": "http://www.w3.org/2001/XMLSchema",
}


def make_key_pair(directory: Path, common_name: str) -> tuple[Path, Path]:
    """An RSA 2048 key and a self-signed certificate (PEM files) for `common_name`.

    Returns (key_path, cert_path).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9.-]+", "_", common_name).strip("_") or "key"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path = directory / f"{stem}.key"
    cert_path = directory / f"{stem}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


class _FormParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.inputs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "form" and self.action is None:
            self.action = values.get("action", "")
        elif tag == "input" and values.get("type", "").lower() == "hidden" and "name" in values:
            self.inputs[values["name"]] = values.get("value", "")


def auto_post_form(html: str) -> tuple[str, dict[str, str]]:
    """The action URL and the hidden inputs of the IdP's auto-posting form."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    if parser.action is None:
        raise ValueError("no <form> in the page")
    return parser.action, parser.inputs


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class TestIdP:
    """A GakuNin-like SAML 2 IdP on http://127.0.0.1:PORT (see the module docstring)."""

    __test__ = False  # not a pytest test class

    def __init__(self, directory: Path, scope: str = "idp.example.ac.jp") -> None:
        self.directory = Path(directory)
        self.scope = scope
        self.base_url = ""
        self.entity_id = ""
        self.metadata_url = ""
        self.metadata_path = self.directory / "idp-metadata.xml"
        self.attribute_map_dir = self.directory / "attributemaps"
        self.signing_key = self.directory / "idp.key"
        self.signing_cert = self.directory / "idp.crt"
        self.sp_metadata_path = self.directory / "sp-metadata.xml"
        self.logout_requests: list[dict] = []
        self.authn_requests: list[dict] = []
        self.metadata_xml = ""
        self._impostor_key: Path | None = None
        self._impostor_cert: Path | None = None
        self._httpd: _ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._server: Server | None = None
        self._impostor: Server | None = None
        self._user: tuple[str, dict[str, list[str]], str, str] | None = None
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> TestIdP:
        """Generate keys, bind a port, write the (signed) metadata and serve."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.signing_key, self.signing_cert = make_key_pair(self.directory, "idp")
        self._impostor_key, self._impostor_cert = make_key_pair(self.directory, "impostor")
        self.attribute_map_dir.mkdir(exist_ok=True)
        (self.attribute_map_dir / "__init__.py").write_text("")
        (self.attribute_map_dir / "gakunin.py").write_text(ATTRIBUTE_MAP_DIR_SOURCE)

        self._httpd = make_server(
            "127.0.0.1",
            0,
            self._app,
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        port = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self.entity_id = f"{self.base_url}/idp/metadata"
        self.metadata_url = self.entity_id

        config = IdPConfig().load(self._config(self.signing_key, self.signing_cert))
        self.metadata_xml = _signed_metadata(config)
        self.metadata_path.write_text(self.metadata_xml, encoding="utf-8")

        self._server = Server(config=config)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="saml-test-idp", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> TestIdP:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the tests control ------------------------------------------------------------

    def trust_sp(self, sp_metadata_xml: str | bytes) -> None:
        """Load the service provider's metadata (replacing any loaded before)."""
        if not self.entity_id:
            raise RuntimeError("start() the IdP first")
        if isinstance(sp_metadata_xml, bytes):
            sp_metadata_xml = sp_metadata_xml.decode("utf-8")
        self.sp_metadata_path.write_text(sp_metadata_xml, encoding="utf-8")
        metadata = {"local": [str(self.sp_metadata_path)]}
        real = self._config(self.signing_key, self.signing_cert, metadata)
        impostor = self._config(self._impostor_key, self._impostor_cert, metadata)
        with self._lock:
            self._server = Server(config=IdPConfig().load(real))
            self._impostor = Server(config=IdPConfig().load(impostor))

    def sign_in_as(
        self,
        name_id: str,
        attributes: dict[str, list[str] | str],
        mode: str = "valid",
        name_id_format: str = NAMEID_FORMAT_TRANSIENT,
    ) -> None:
        """What the next SSO requests are answered with (the user 'signed in' at the IdP).

        `attributes` use GakuNin friendly names ("eduPersonPrincipalName", "mail", ...).
        It stays in effect until the next call.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if name_id_format not in (NAMEID_FORMAT_TRANSIENT, NAMEID_FORMAT_PERSISTENT):
            raise ValueError(f"unsupported NameID format {name_id_format!r}")
        unknown = set(attributes) - set(ATTRIBUTES)
        if unknown:
            raise ValueError(f"unknown attributes {sorted(unknown)}")
        values = {
            key: [value] if isinstance(value, str) else list(value)
            for key, value in attributes.items()
        }
        self._user = (name_id, values, mode, name_id_format)

    # -- pysaml2 configuration -------------------------------------------------------------

    def _config(self, key: Path, cert: Path, metadata: dict | None = None) -> dict:
        config = {
            "entityid": self.entity_id,
            "xmlsec_binary": XMLSEC_BINARY,
            "key_file": str(key),
            "cert_file": str(cert),
            "attribute_map_dir": str(self.attribute_map_dir),
            "accepted_time_diff": 60,
            "service": {
                "idp": {
                    "name": "Test IdP",
                    "endpoints": {
                        "single_sign_on_service": [
                            (f"{self.base_url}/idp/sso/redirect", BINDING_HTTP_REDIRECT),
                        ],
                        "single_logout_service": [
                            (f"{self.base_url}/idp/slo/redirect", BINDING_HTTP_REDIRECT),
                        ],
                    },
                    "name_id_format": [NAMEID_FORMAT_TRANSIENT, NAMEID_FORMAT_PERSISTENT],
                    "scope": [self.scope],
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 15},
                            "attribute_restrictions": None,
                            "name_form": NAME_FORMAT_URI,
                        },
                    },
                    "sign_response": True,
                    "sign_assertion": True,
                    "want_authn_requests_signed": False,
                    "signing_algorithm": SIG_RSA_SHA256,
                    "digest_algorithm": DIGEST_SHA256,
                },
            },
        }
        if metadata:
            config["metadata"] = metadata
        return config

    # -- HTTP ------------------------------------------------------------------------------

    def _app(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            if environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
                status, headers, body = "405 Method Not Allowed", [], "GET only\n"
            elif path == "/idp/metadata":
                status, headers = "200 OK", [("Content-Type", METADATA_CONTENT_TYPE)]
                body = self.metadata_xml
            elif path == "/idp/sso/redirect":
                with self._lock:
                    status, headers, body = self._sso(query)
            elif path == "/idp/slo/redirect":
                with self._lock:
                    status, headers, body = self._slo(query)
            else:
                status, headers, body = "404 Not Found", [], "not found\n"
        except (UnknownPrincipal, UnsupportedBinding, ValueError, KeyError) as exc:
            status, headers, body = "400 Bad Request", [], f"{type(exc).__name__}: {exc}\n"
        except Exception:  # the test sees the traceback instead of a dropped connection
            status, headers, body = "500 Internal Server Error", [], traceback.format_exc()
        data = body.encode("utf-8")
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", "text/plain; charset=utf-8"))
        headers.append(("Content-Length", str(len(data))))
        start_response(status, headers)
        return [data]

    def _parsed(self, parse, query: dict[str, str]):
        """The service provider's request of the Redirect binding, or the answer refusing it."""
        request = parse(
            query["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState") or None,
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        if request is None:
            return "400 Bad Request", [], "the request could not be verified\n"
        if not _redirect_signature_ok(request, query):
            return "403 Forbidden", [], "the request's signature does not verify\n"
        return request

    def _sso(self, query: dict[str, str]):
        if "SAMLRequest" not in query:
            return "400 Bad Request", [], "SAMLRequest missing\n"
        if self._impostor is None:
            return "403 Forbidden", [], "no service provider is trusted (call trust_sp)\n"
        if self._user is None:
            return "403 Forbidden", [], "nobody is signed in at the IdP (call sign_in_as)\n"
        relay_state = query.get("RelayState", "")
        request = self._parsed(self._server.parse_authn_request, query)
        if isinstance(request, tuple):
            return request
        message = request.message
        args = self._server.response_args(message, [BINDING_HTTP_POST])
        self.authn_requests.append(
            {
                "id": message.id,
                "issuer": args["sp_entity_id"],
                "acs": args["destination"],
                "signed": "Signature" in query,
            }
        )
        xml = self._authn_response(message.id, args["destination"], args["sp_entity_id"])
        info = self._server.apply_binding(
            BINDING_HTTP_POST, xml, args["destination"], relay_state, response=True
        )
        return "200 OK", [("Content-Type", "text/html; charset=utf-8")], info["data"]

    def _authn_response(self, request_id: str, acs_url: str, sp_entity_id: str) -> str:
        name_id_text, identity, mode, name_id_format = self._user
        server = self._impostor if mode == "impostor" else self._server
        name_id = NameID(
            format=name_id_format,
            name_qualifier=self.entity_id,
            sp_name_qualifier=sp_entity_id,
            text=name_id_text,
        )
        kwargs = {
            "identity": identity,
            "in_response_to": request_id,
            "destination": acs_url,
            "sp_entity_id": sp_entity_id,
            "name_id": name_id,
            "authn": {
                "class_ref": PASSWORDPROTECTEDTRANSPORT,
                "authn_auth": self.entity_id,
            },
        }
        if mode in ("valid", "impostor", "wrong-signature"):
            xml = str(
                server.create_authn_response(sign_response=True, sign_assertion=True, **kwargs)
            )
            if mode == "wrong-signature":
                xml = _tamper(xml, identity, name_id_text)
            return xml
        response = server.create_authn_response(sign_response=False, sign_assertion=False, **kwargs)
        assertion = response.assertion
        if mode == "wrong-audience":
            for restriction in assertion.conditions.audience_restriction:
                for audience in restriction.audience:
                    audience.text = OTHER_AUDIENCE
        elif mode == "expired":
            _backdate(response, hours=1)
        assertion.signature = pre_signature_part(
            assertion.id,
            server.sec.my_cert,
            2,
            sign_alg=server.signing_algorithm,
            digest_alg=server.digest_algorithm,
        )
        return str(server.sign(response, to_sign=[(class_name(assertion), assertion.id)]))

    def logout_request_url(self, sp_entity_id: str) -> str:
        """The service provider's single logout address with this IdP's signed LogoutRequest for
        the person signed in (``sign_in_as``): where a browser is sent when that person signs out
        at the IdP, or at another service of the federation."""
        name_id_text, _identity, _mode, name_id_format = self._user
        name_id = NameID(
            format=name_id_format,
            name_qualifier=self.entity_id,
            sp_name_qualifier=sp_entity_id,
            text=name_id_text,
        )
        server = self._server
        destination = server.metadata.single_logout_service(
            sp_entity_id, BINDING_HTTP_REDIRECT, "spsso"
        )[0]["location"]
        _request_id, request = server.create_logout_request(
            destination, self.entity_id, name_id=name_id, sign=False
        )
        info = server.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination, "", sign=True)
        return dict(info["headers"])["Location"]

    def _slo(self, query: dict[str, str]):
        if "SAMLRequest" not in query:
            return "400 Bad Request", [], "SAMLRequest missing\n"
        if self._impostor is None:
            return "403 Forbidden", [], "no service provider is trusted (call trust_sp)\n"
        relay_state = query.get("RelayState", "")
        request = self._parsed(self._server.parse_logout_request, query)
        if isinstance(request, tuple):
            return request
        message = request.message
        self.logout_requests.append(
            {
                "name_id": message.name_id.text if message.name_id is not None else None,
                "session_index": [index.text for index in message.session_index],
                "issuer": message.issuer.text if message.issuer is not None else None,
            }
        )
        response = self._server.create_logout_response(message, [BINDING_HTTP_REDIRECT], sign=False)
        info = self._server.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(response),
            response.destination,
            relay_state,
            response=True,
            sign=True,
        )
        location = dict(info["headers"])["Location"]
        return "302 Found", [("Location", location)], ""


def _redirect_signature_ok(request, query: dict[str, str]) -> bool:
    """Unsigned redirect requests pass; a signed one must verify against the SP's metadata."""
    if "Signature" not in query:
        return True
    message = {
        key: query[key]
        for key in ("SAMLRequest", "RelayState", "SigAlg", "Signature")
        if key in query
    }
    return bool(request._do_redirect_sig_check(message))


def _signed_metadata(config: IdPConfig) -> str:
    """The IdP's EntityDescriptor, signed with its key, with the usual namespace prefixes."""
    descriptor = entity_descriptor(config)
    secc = security_context(config)
    descriptor.id = sid()
    descriptor.signature = pre_signature_part(
        descriptor.id,
        secc.my_cert,
        1,
        sign_alg=config.getattr("signing_algorithm", "idp"),
        digest_alg=config.getattr("digest_algorithm", "idp"),
    )
    xml = descriptor.to_string(METADATA_PREFIXES).decode("utf-8")
    return secc.sign_statement(xml, class_name(descriptor))


def _tamper(xml: str, identity: dict[str, list[str]], name_id: str) -> str:
    """Alter signed content of a signed response so that its digests no longer match."""
    principal = identity.get("eduPersonPrincipalName")
    original = principal[0] if principal else name_id
    forged = f">mallory.{original}<"
    altered = xml.replace(f">{original}<", forged, 1)
    if altered == xml:
        raise ValueError("nothing to alter in the response")
    return altered


def _backdate(response: samlp.Response, hours: int) -> None:
    """Move every instant of an (unsigned) Response back so that it expired `hours` ago."""
    lifetime = datetime.timedelta(minutes=15)
    now = datetime.datetime.now(datetime.UTC)
    issued = int((now - datetime.timedelta(hours=hours) - lifetime).timestamp())
    expired = int((now - datetime.timedelta(hours=hours)).timestamp())
    issued_at = instant(time_stamp=issued)
    expired_at = instant(time_stamp=expired)
    assertion = response.assertion
    response.issue_instant = issued_at
    assertion.issue_instant = issued_at
    assertion.conditions.not_before = issued_at
    assertion.conditions.not_on_or_after = expired_at
    for confirmation in assertion.subject.subject_confirmation:
        data = confirmation.subject_confirmation_data
        if data is not None:
            data.not_on_or_after = expired_at
    for statement in assertion.authn_statement:
        statement.authn_instant = issued_at
        if statement.session_not_on_or_after:
            statement.session_not_on_or_after = expired_at
