"""A real OpenID Connect provider for the sign-in tests, in a process of its own.

``OIDCProvider(directory).start()`` runs django-oauth-toolkit's provider
(``tests.signin.oidc_provider``) on a free port of 127.0.0.1, with its database, signing key and
log in ``directory``, and registers one confidential client for the relying party at
``http://testserver``. ``authorize`` plays the user's browser at the provider and hands back the
redirect to the relying party's callback; ``set_mode`` makes the token endpoint hand out ID tokens
that a correct relying party must refuse. Each pytest-xdist worker may run a provider of its own.
"""

import atexit
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT = Path(__file__).resolve().parents[2]
RELYING_PARTY = "http://testserver"
REDIRECT_URI = f"{RELYING_PARTY}/oidc/callback/"
POST_LOGOUT_REDIRECT_URI = f"{RELYING_PARTY}/accounts/login/"
START_SECONDS = 30
# The settings of the test run's own environment that the provider must not inherit.
RUN_SETTINGS = ("DJANGO_", "DATABASE_", "REDIS_", "TASKS_", "STORAGE_")


class ProviderError(RuntimeError):
    """The provider did not start, or did not answer as a provider would."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Forms(HTMLParser):
    """The forms of a page: each one's action and the values of its inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attributes.get("action") or "", "fields": {}})
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1]["fields"][attributes["name"]] = attributes.get("value") or ""


class OIDCProvider:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.client_id = "portfolio-tests"
        self.client_secret = secrets.token_urlsafe(32)
        self.port = 0
        self.base_url = ""
        self.issuer = ""
        self.authorization_endpoint = ""
        self.token_endpoint = ""
        self.userinfo_endpoint = ""
        self.jwks_endpoint = ""
        self.end_session_endpoint = ""
        self.log = self.directory / "oidc-provider.log"
        self.process: subprocess.Popen | None = None
        self._control_token = secrets.token_urlsafe(24)

    def start(self) -> "OIDCProvider":
        self.directory.mkdir(parents=True, exist_ok=True)
        key_file = self.directory / "oidc-provider-key.pem"
        key_file.write_bytes(
            rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        database = self.directory / "oidc-provider.sqlite3"
        database.unlink(missing_ok=True)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(RUN_SETTINGS)},
            "DJANGO_SETTINGS_MODULE": "tests.signin.oidc_provider.settings",
            "OIDC_PROVIDER_DB": str(database),
            "OIDC_PROVIDER_KEY": str(key_file),
            "OIDC_PROVIDER_ISSUER": f"{self.base_url}/o",
            "OIDC_PROVIDER_CONTROL_TOKEN": self._control_token,
            "OIDC_PROVIDER_CLIENT_ID": self.client_id,
            "OIDC_PROVIDER_CLIENT_SECRET": self.client_secret,
            "OIDC_PROVIDER_REDIRECT_URI": REDIRECT_URI,
            "OIDC_PROVIDER_POST_LOGOUT_REDIRECT_URI": POST_LOGOUT_REDIRECT_URI,
            "PYTHONUNBUFFERED": "1",
        }
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.signin.oidc_provider.serve", str(self.port)],
                cwd=PROJECT,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        atexit.register(self.stop)
        discovery = self._wait_for_discovery()
        self.issuer = discovery["issuer"]
        self.authorization_endpoint = discovery["authorization_endpoint"]
        self.token_endpoint = discovery["token_endpoint"]
        self.userinfo_endpoint = discovery["userinfo_endpoint"]
        self.jwks_endpoint = discovery["jwks_uri"]
        self.end_session_endpoint = discovery["end_session_endpoint"]
        return self

    def _wait_for_discovery(self) -> dict:
        url = f"{self.base_url}/o/.well-known/openid-configuration"
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ProviderError(f"The OIDC provider ended at start; see {self.log}")
            try:
                response = requests.get(url, timeout=2)
            except requests.ConnectionError:
                time.sleep(0.05)
                continue
            if response.status_code == 200:
                return response.json()
            raise ProviderError(f"{url} answered {response.status_code}; see {self.log}")
        self.stop()
        raise ProviderError(
            f"The OIDC provider did not answer in {START_SECONDS} s; see {self.log}"
        )

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        atexit.unregister(self.stop)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> "OIDCProvider":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _control(self, method: str, name: str, data: dict | None = None) -> dict:
        response = requests.request(
            method,
            f"{self.base_url}/test-control/{name}",
            data=None if data is None else json.dumps(data),
            headers={"X-Test-Control": self._control_token, "Content-Type": "application/json"},
            timeout=10,
        )
        if not response.ok:
            raise ProviderError(f"test-control/{name}: {response.status_code} {response.text}")
        return response.json()

    def add_user(
        self,
        username: str,
        password: str,
        email: str = "",
        first_name: str = "",
        last_name: str = "",
    ) -> str:
        """Makes a user at the provider; returns their ``sub``."""
        answer = self._control(
            "POST",
            "users",
            {
                "username": username,
                "password": password,
                "email": email,
                "first_name": first_name,
                "last_name": last_name,
            },
        )
        return answer["sub"]

    def set_mode(self, mode: str) -> None:
        """``valid``, ``wrong-signature``, ``wrong-audience``, ``expired`` or ``wrong-issuer``."""
        self._control("POST", "mode", {"mode": mode})

    def sign_out_url_seen(self) -> list[str]:
        """The requests to the end-session endpoint so far, as path and query, oldest first."""
        return self._control("GET", "sign-outs")["sign_outs"]

    def authorize(self, authorization_url: str, username: str, password: str) -> str:
        """Signs in at the provider as a browser would, starting at ``authorization_url``, and
        returns the provider's redirect to the relying party (``http://testserver/...``), not
        followed. Raises ``ProviderError`` if the sign-in is refused or the provider answers
        anything else."""
        browser = requests.Session()
        response = browser.get(authorization_url, allow_redirects=False, timeout=10)
        signed_in = False
        for _ in range(10):
            if response.is_redirect:
                location = urljoin(response.url, response.headers["Location"])
                if location.startswith(f"{RELYING_PARTY}/"):
                    return location
                response = browser.get(location, allow_redirects=False, timeout=10)
                continue
            login = self._login_form(response)
            if response.status_code == 200 and login is not None:
                if signed_in:
                    raise ProviderError(f"The provider refused {username!r}'s sign-in")
                fields = {**login["fields"], "username": username, "password": password}
                response = browser.post(
                    urljoin(response.url, login["action"]),
                    data=fields,
                    allow_redirects=False,
                    timeout=10,
                )
                signed_in = True
                continue
            raise ProviderError(
                f"{response.url} answered {response.status_code}: {response.text[:500]}"
            )
        raise ProviderError(f"Too many redirects from {authorization_url}")

    @staticmethod
    def _login_form(response: requests.Response) -> dict | None:
        if "text/html" not in response.headers.get("Content-Type", ""):
            return None
        parser = _Forms()
        parser.feed(response.text)
        for form in parser.forms:
            if "csrfmiddlewaretoken" in form["fields"] and "password" in form["fields"]:
                return form
        return None

    def settings(self) -> dict[str, str]:
        """The relying party's settings for mozilla-django-oidc against this provider."""
        return {
            "OIDC_RP_CLIENT_ID": self.client_id,
            "OIDC_RP_CLIENT_SECRET": self.client_secret,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": self.authorization_endpoint,
            "OIDC_OP_TOKEN_ENDPOINT": self.token_endpoint,
            "OIDC_OP_USER_ENDPOINT": self.userinfo_endpoint,
            "OIDC_OP_JWKS_ENDPOINT": self.jwks_endpoint,
            "OIDC_OP_LOGOUT_ENDPOINT": self.end_session_endpoint,
            "OIDC_OP_ISSUER": self.issuer,
            "OIDC_RP_SIGN_ALGO": "RS256",
            "OIDC_RP_SCOPES": "openid email profile",
        }
