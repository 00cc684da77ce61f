"""Who may use the API: a signed-in user (by a token or a session) who reads the dashboards,
that is, one who holds a role; a read-only token only reads."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from api.models import ApiToken
from units.roles import DASHBOARDS


class SignedInAndTokenAllows(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False  # 401, with the token's sign-in scheme
        if not user.has_perm(DASHBOARDS):
            self.message = _("Your account holds no role yet: an administrator grants one.")
            return False
        token = request.auth
        if isinstance(token, ApiToken) and token.read_only and request.method not in SAFE_METHODS:
            self.message = _("A read-only token may not write.")
            return False
        return True
