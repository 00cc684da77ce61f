"""What the tests control in the running provider, at ``/test-control/``, and the middleware that
carries it out.

``POST /test-control/mode`` (``{"mode": ...}``) sets how the token endpoint answers from then on:
``valid`` leaves its answer alone; every other mode replaces the ID token with one that a correct
relying party refuses for that one reason (see ``MODES``). ``POST /test-control/users`` makes a
user; ``GET /test-control/sign-outs`` lists the requests to the end-session endpoint
(``/o/logout/``) received so far, as path and query. Every request to ``/test-control/`` must
carry the header ``X-Test-Control`` with the token the provider was started with.
"""

import json
import threading
import time
from functools import cache, wraps

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

MODES = ("valid", "wrong-signature", "wrong-audience", "expired", "wrong-issuer")
TOKEN_PATH = "/o/token/"
LOGOUT_PATH = "/o/logout/"

_lock = threading.Lock()
_state = {"mode": "valid", "sign_outs": []}


@cache
def _other_key() -> str:
    """A key that is not the provider's, for ID tokens whose signature must not verify."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def spoiled(id_token: str, mode: str) -> str:
    """``id_token`` made wrong as ``mode`` says, signed again under the header's own ``kid``."""
    header = jwt.get_unverified_header(id_token)
    claims = jwt.decode(id_token, options={"verify_signature": False})
    key = settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]
    now = int(time.time())
    if mode == "wrong-signature":
        key = _other_key()
    elif mode == "wrong-audience":
        claims["aud"] = "someone-else"
    elif mode == "expired":
        claims["exp"] = now - 3600
        claims["iat"] = now - 7200
        if "auth_time" in claims:
            claims["auth_time"] = now - 7200
    elif mode == "wrong-issuer":
        claims["iss"] = "https://impostor.example.org"
    else:
        raise ValueError(f"Unknown mode {mode!r}")
    headers = {name: value for name, value in header.items() if name not in ("alg",)}
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)


class ModesMiddleware:
    """Rewrites the token endpoint's ID token in the current mode; notes every sign-out request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == LOGOUT_PATH:
            with _lock:
                _state["sign_outs"].append(request.get_full_path())
        response = self.get_response(request)
        with _lock:
            current = _state["mode"]
        if request.path == TOKEN_PATH and current != "valid" and response.status_code == 200:
            body = json.loads(response.content)
            if "id_token" in body:
                body["id_token"] = spoiled(body["id_token"], current)
                response.content = json.dumps(body).encode()
                response["Content-Length"] = str(len(response.content))
        return response


def controlled(view):
    """``view`` for requests carrying the provider's control token only, and exempt from CSRF."""

    @csrf_exempt
    @wraps(view)
    def checked(request, *args, **kwargs):
        token = settings.CONTROL_TOKEN
        if not token or request.headers.get("X-Test-Control") != token:
            return HttpResponseForbidden("No or wrong X-Test-Control token.")
        return view(request, *args, **kwargs)

    return checked


@controlled
@require_POST
def mode(request):
    wanted = json.loads(request.body)["mode"]
    if wanted not in MODES:
        return JsonResponse({"error": f"unknown mode {wanted!r}", "modes": MODES}, status=400)
    with _lock:
        _state["mode"] = wanted
    return JsonResponse({"mode": wanted})


@controlled
@require_POST
def users(request):
    data = json.loads(request.body)
    user = get_user_model().objects.create_user(
        username=data["username"],
        password=data["password"],
        email=data.get("email", ""),
        first_name=data.get("first_name", ""),
        last_name=data.get("last_name", ""),
    )
    return JsonResponse({"sub": str(user.pk)}, status=201)


@controlled
@require_GET
def sign_outs(request):
    with _lock:
        return JsonResponse({"sign_outs": list(_state["sign_outs"])})
