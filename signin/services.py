"""The doors of signing in through an identity provider: the account of an identity, made at its
first sign-in with no role and no scope, and an administrator's grant of a role.

An account is found by its identity alone, the pair of the provider and the provider's own
identifier for the person: an email address is no identity (a provider may release anyone's, and
addresses move between people), so a local account is never taken over by one that shares it.
"""

import re
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from common.roles import LEADERSHIP, ROLES
from common.services import record_save
from reporting.reminders.mail import mail_is_configured
from signin.models import ExternalIdentity
from signin.tasks import tell_administrators
from units.models import Institution, UserScope
from units.services import user_scope_create

# Django's usernames: letters, digits and @ . + - _ ; at most 150 characters.
USERNAME_CHARACTERS = re.compile(r"[^\w.@+-]")
# The longest of what a provider releases, as the fields keep them; any other is 255 at most.
LENGTHS = {"issuer": 1024, "email": 254, "given_name": 150, "family_name": 150}


def plain(text: object, limit: int) -> str:
    """``text`` without control characters, stripped, at most ``limit`` characters."""
    return "".join(character for character in str(text) if character.isprintable()).strip()[:limit]


@dataclass(frozen=True)
class Released:
    """What an identity provider released about the person at one sign-in."""

    protocol: str
    issuer: str
    subject: str
    email: str = ""
    display_name: str = ""
    display_name_ja: str = ""
    given_name: str = ""
    family_name: str = ""
    affiliations: tuple[str, ...] = ()
    organization: str = ""
    organization_ja: str = ""
    username: str = ""  # the name the provider suggests for the account

    def __post_init__(self) -> None:
        # What a provider released is kept as plain text: no control character (PostgreSQL
        # refuses a NUL), within the fields' lengths.
        for name, value in vars(self).items():
            if isinstance(value, tuple):
                cleaned = tuple(plain(item, 64) for item in value if plain(item, 64))[:20]
            else:
                cleaned = plain(value, LENGTHS.get(name, 255))
            object.__setattr__(self, name, cleaned)

    def identity_fields(self) -> dict:
        return {
            "email": self.email,
            "display_name": self.display_name,
            "display_name_ja": self.display_name_ja,
            "affiliations": ", ".join(self.affiliations)[:255],
            "organization": self.organization,
            "organization_ja": self.organization_ja,
        }


def suggestion(issuer: str, affiliations: tuple[str, ...]) -> tuple[Institution | None, str]:
    """The institution and the role this installation maps a provider and affiliations to."""
    code = settings.SIGNIN_IDP_INSTITUTIONS.get(issuer)
    institution = Institution.objects.filter(code=code).first() if code else None
    held = {affiliation.lower() for affiliation in affiliations}
    mapped = settings.SIGNIN_AFFILIATION_ROLES.items()
    role = next((role for affiliation, role in mapped if affiliation in held), "")
    return institution, role if role in ROLES else ""  # a mistyped role: the check says so


def signed_in_user(released: Released) -> AbstractBaseUser:
    """The account of the identity that signed in, with what the provider released now."""
    identity = _identity(released)
    if identity is None:
        try:
            with transaction.atomic():
                identity = _first_sign_in(released)
        except IntegrityError:
            # The same person's other sign-in made the account a moment ago.
            identity = _identity(released)
            if identity is None:
                raise
    else:
        _keep_released(identity, released)
    return identity.user


def _identity(released: Released) -> ExternalIdentity | None:
    return (
        ExternalIdentity.objects.select_related("user")
        .filter(issuer=released.issuer, subject=released.subject)
        .first()
    )


def _first_sign_in(released: Released) -> ExternalIdentity:
    account = get_user_model()(
        username=free_username(released.username or released.subject),
        email=released.email,
        first_name=(released.given_name or released.display_name)[:150],
        last_name=released.family_name,
    )
    account.set_unusable_password()  # signs in through the provider only
    account.save()
    reason = f"First sign-in through {released.issuer}"
    institution, role = suggestion(released.issuer, released.affiliations)
    identity = ExternalIdentity(
        user=account,
        protocol=released.protocol,
        issuer=released.issuer,
        subject=released.subject,
        suggested_institution=institution,
        suggested_role=role,
        **released.identity_fields(),
    )
    record_save(identity, user=account, reason=reason)
    scope = UserScope(user=account)
    user_scope_create(scope=scope, institutions=[], units=[], user=account, reason=reason)
    if settings.SIGNIN_GRANT_SUGGESTED and institution is not None and role:
        grant_access(
            account,
            role=role,
            institution=institution,
            by=None,
            reason="Granted at the first sign-in, as SIGNIN_GRANT_SUGGESTED allows",
        )
    elif mail_is_configured():
        # Once the account is there for them to see: the administrators learn that it waits.
        transaction.on_commit(partial(tell_administrators.enqueue, account.pk))
    return identity


def _keep_released(identity: ExternalIdentity, released: Released) -> None:
    """Keep what the provider released now, where it changed; the account's email follows it."""
    fields = released.identity_fields()
    if any(getattr(identity, name) != value for name, value in fields.items()):
        for name, value in fields.items():
            setattr(identity, name, value)
        record_save(identity, user=identity.user, reason="Attributes released at a sign-in")
    account = identity.user
    if released.email and account.email != released.email:
        account.email = released.email
        account.save(update_fields=["email"])


def free_username(wanted: str) -> str:
    """``wanted`` as a username no other account holds (another one's never becomes this one's)."""
    base = USERNAME_CHARACTERS.sub("", wanted)[:140] or "user"
    candidate, number = base, 1
    while get_user_model().objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


@transaction.atomic
def grant_access(
    account: AbstractBaseUser,
    *,
    role: str,
    institution: Institution | None,
    by: AbstractBaseUser | None,
    reason: str,
) -> None:
    """Give ``account`` the ``role`` over ``institution``: the role's group, the institution in
    its scope (history names ``by`` and ``reason``), and the admin where the role works there."""
    account.groups.add(Group.objects.get(name=role))
    if role != LEADERSHIP and not account.is_staff:
        account.is_staff = True
        account.save(update_fields=["is_staff"])
    scope = UserScope.objects.filter(user=account).first()
    if scope is None:
        scope = UserScope(user=account)
        user_scope_create(
            scope=scope,
            institutions=[institution] if institution else [],
            units=[],
            user=by,
            reason=reason,
        )
    elif institution is not None:
        record_save(scope, user=by, reason=reason)
        scope.institutions.add(institution)
