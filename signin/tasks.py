"""Background work of signing in (django-tasks): telling the administrators that an account
signed in through its provider and awaits their grant."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from common.roles import ADMINISTRATOR


@task()
def tell_administrators(account: int) -> int:
    """Mail every active administrator with an address (superusers and the Administrator role),
    each in their preferred language, that ``account`` awaits access; how many were mailed."""
    user_model = get_user_model()
    waiting = user_model.objects.filter(pk=account).first()
    if waiting is None or waiting.groups.exists():
        return 0  # gone, or granted in the meantime
    identity = waiting.external_identities.select_related("suggested_institution").first()
    administrators = (
        user_model.objects.filter(Q(is_superuser=True) | Q(groups__name=ADMINISTRATOR))
        .filter(is_active=True)
        .exclude(email="")
        .select_related("scope")
        .distinct()
    )
    context = {
        "account": waiting,
        "identity": identity,
        "url": settings.SITE_URL + reverse("admin:signin_awaitingaccess_changelist"),
    }
    sent = 0
    for administrator in administrators:
        scope = getattr(administrator, "scope", None)
        with translation.override((scope and scope.language) or settings.LANGUAGE_CODE):
            subject = render_to_string("signin/mail/awaiting_subject.txt", context).strip()
            body = render_to_string("signin/mail/awaiting.txt", context)
        EmailMessage(subject, body, to=[administrator.email]).send(fail_silently=False)
        sent += 1
    return sent
