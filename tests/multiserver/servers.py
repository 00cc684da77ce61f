"""App servers in processes of their own, as on several hosts, and a reader who talks to them.

Each server is gunicorn serving ``config.wsgi`` in production mode (DEBUG off) on a loopback port,
with a data folder of its own (``PORTFOLIO_DATA_DIR``) and its own copy of the static files; what
the servers share is only what an installation of several hosts shares: the PostgreSQL database,
Redis, and one folder standing for the shared file storage.
"""

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django.conf import settings

from tests.helpers import RUN_SETTINGS

PROJECT = Path(settings.BASE_DIR)
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(**settings_: str) -> dict[str, str]:
    """A production server's environment: none of the test run's settings, and ``settings_``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(RUN_SETTINGS)}
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on loopback: no redirect to HTTPS, and cookies that HTTP carries.
        "DJANGO_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        **settings_,
    }


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def start_server(name: str, env: dict[str, str], folder: Path) -> Server:
    port = free_port()
    log = folder / "gunicorn.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--timeout",
        "120",
        "--error-logfile",
        "-",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(name, port, process, log)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"Server {name} stopped at start:\n{server.output()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise AssertionError(
        f"Server {name} did not listen within {START_SECONDS} s:\n{server.output()}"
    )


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Reader:
    """One browser's cookies, sent to whichever server it asks: as behind a load balancer."""

    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, server: Server, method: str, path: str, body: bytes = b"", content_type: str = ""
    ) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        try:
            connection.request(method, path, body=body or None, headers=headers)
            answer = connection.getresponse()
            response = Response(answer.status, dict(answer.getheaders()), answer.read())
            for value in answer.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
        finally:
            connection.close()
        if response.status >= 500:
            raise AssertionError(
                f"{method} {path} on server {server.name}: {response.status}\n{server.output()}"
            )
        return response

    def get(self, server: Server, path: str) -> Response:
        return self.request(server, "GET", path)

    def post(self, server: Server, path: str, fields: list[tuple[str, str]]) -> Response:
        body = urlencode(fields).encode()
        return self.request(server, "POST", path, body, "application/x-www-form-urlencoded")

    def post_file(
        self, server: Server, path: str, fields: list[tuple[str, str]], file: tuple[str, str, bytes]
    ) -> Response:
        boundary = uuid.uuid4().hex
        head = f"--{boundary}\r\nContent-Disposition: form-data; "
        parts = [f'{head}name="{name}"\r\n\r\n{value}\r\n'.encode() for name, value in fields]
        field_name, file_name, content = file
        parts.append(
            f'{head}name="{field_name}"; '
            f'filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request(server, "POST", path, body, f"multipart/form-data; boundary={boundary}")

    def sign_in(self, server: Server, username: str, password: str) -> None:
        form = form_fields(self.get(server, "/accounts/login/").text)
        fields = [(k, v) for k, v in form if k not in {"username", "password"}]
        fields += [("username", username), ("password", password)]
        signed_in = self.post(server, "/accounts/login/", fields)
        assert signed_in.status == 302, signed_in.text[:2000]


def location(response: Response) -> str:
    """The path a redirect points to."""
    assert response.status == 302, response.text[:2000]
    return urlsplit(response.headers["Location"]).path


class FormFields(HTMLParser):
    """The fields a browser would send with the page's form ``form_id`` (else its first
    POST form): text, hidden and number inputs, checked boxes, selected options, text areas."""

    def __init__(self, form_id: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.done = form_id, False, False
        self.fields: list[tuple[str, str]] = []
        self.select: str | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs) -> None:
        attrs = {name: value or "" for name, value in attrs}
        if tag == "form" and not self.done and not self.inside:
            wanted = attrs.get("id") == self.form_id if self.form_id else True
            self.inside = wanted and attrs.get("method", "get").lower() == "post"
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.fields.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields.append((self.select, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_data(self, data) -> None:
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag) -> None:
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            # A browser drops the one newline that may follow <textarea>.
            self.fields.append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


def form_fields(page: str, form_id: str | None = None) -> list[tuple[str, str]]:
    parser = FormFields(form_id)
    parser.feed(page)
    assert parser.done, f"no POST form {form_id or ''} on the page"
    return parser.fields


def replaced(fields: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in fields if k not in values]
    return kept + list(values.items())


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)
