"""Checks of the sign-in settings that a typing error would otherwise turn into a silent
nothing: a role that the affiliations map to must be one of the product's roles."""

from django.conf import settings
from django.core.checks import Error, register

from common.roles import ROLES


@register()
def mapped_roles_exist(app_configs, **kwargs) -> list[Error]:
    return [
        Error(
            f"SIGNIN_AFFILIATION_ROLES maps {affiliation!r} to {role!r}, which is no role.",
            hint=f"Use one of: {', '.join(ROLES)}.",
            id="signin.E001",
        )
        for affiliation, role in settings.SIGNIN_AFFILIATION_ROLES.items()
        if role not in ROLES
    ]
