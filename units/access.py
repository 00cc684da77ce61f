"""Who may reach what: a user's role (their groups) and scope (``UserScope``), read per request.

``common.access.access_for`` answers through ``access_for`` here, set when the app starts.
"""

from common.access import EVERYTHING, NO_ACCESS, Access, Reach
from common.roles import ADMINISTRATOR, EDITOR, UNIT_EDITOR

# How a user, as the author of a change, belongs to institutions: those their scope names and
# those of its units.
AUTHORS = Reach(institution=("scope__institutions", "scope__units__institution"))


def access_for(user) -> Access:
    """The user's reach; remembered on the user object for the rest of the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_ACCESS
    cached = getattr(user, "_portfolio_access", None)
    if cached is not None:
        return cached
    user._portfolio_access = _read_access(user)
    return user._portfolio_access


def _read_access(user) -> Access:
    roles = set(user.groups.values_list("name", flat=True))
    if user.is_superuser or ADMINISTRATOR in roles:
        return EVERYTHING
    from units.models import Unit, UserScope

    units = dict(Unit.objects.filter(user_scopes__user=user).values_list("pk", "institution_id"))
    institution_ids = frozenset(units.values()) | frozenset(
        UserScope.institutions.through.objects.filter(userscope__user=user).values_list(
            "institution_id", flat=True
        )
    )
    unit_only = UNIT_EDITOR in roles and EDITOR not in roles
    return Access(
        everything=False,
        institution_ids=institution_ids,
        unit_ids=frozenset(units) if unit_only else None,
    )
