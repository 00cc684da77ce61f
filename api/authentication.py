"""Signing in to the API with a token: ``Authorization: Bearer <token>`` (or ``Token <token>``).

A token that is unknown, expired or revoked, or whose user is inactive, is refused with 401,
the same answer for each, so that the answer tells nothing about which tokens exist.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from api.models import ApiToken, digest_of
from api.services import token_used

KEYWORDS = (b"bearer", b"token")
# Longer than any token the product makes: nothing longer is hashed or looked up.
MAX_LENGTH = 200


class TokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2 or len(parts[1]) > MAX_LENGTH:
            raise exceptions.AuthenticationFailed(_("The Authorization header holds no token."))
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("This token is not valid.")) from None
        token = ApiToken.objects.select_related("user").filter(digest=digest_of(secret)).first()
        if token is None or not token.active or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This token is not valid."))
        token_used(token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
