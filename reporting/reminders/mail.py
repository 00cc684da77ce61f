"""A digest as a mail: rendered in its recipient's language, text and HTML, sent through Django's
email backend (SMTP from the environment; `make run` writes files in ``var/mail/``)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext

from reporting.models import Occasion, ReportingCycle, State
from reporting.reminders.digests import FIGURE, REPORT, Digest, Item

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"

ADMIN_CHANGE = {
    REPORT: "admin:reporting_report_change",
    FIGURE: "admin:reporting_figurereport_change",
}
ADMIN_MODEL = {REPORT: "report", FIGURE: "figurereport"}


def mail_is_configured() -> bool:
    """Whether mail can leave: an SMTP server is named, or another backend (files) is chosen."""
    return bool(settings.EMAIL_HOST) or settings.EMAIL_BACKEND != SMTP_BACKEND


def item_url(item: Item) -> str:
    """The absolute address of the item's page in the admin."""
    try:
        path = reverse(ADMIN_CHANGE[item.kind], args=[item.pk])
    except NoReverseMatch:  # the reporting admin not registered: the admin's own URL pattern
        path = f"{reverse('admin:index')}reporting/{ADMIN_MODEL[item.kind]}/{item.pk}/change/"
    return f"{settings.SITE_URL}{path}"


def subject(occasion: str, cycle: ReportingCycle) -> str:
    """The mail's subject, in the active language."""
    subjects = {
        Occasion.OPENED: gettext("Reports are due for %(cycle)s"),
        Occasion.BEFORE_DUE: gettext("Reminder: reports for %(cycle)s are due soon"),
        Occasion.DUE: gettext("Reports for %(cycle)s are due today"),
        Occasion.OVERDUE: gettext("Overdue: reports for %(cycle)s"),
        Occasion.ESCALATION: gettext("Overdue in your units: reports for %(cycle)s"),
        Occasion.REVIEW: gettext("Waiting for your review: %(cycle)s"),
        Occasion.MANUAL: gettext("A reminder from the office: reports for %(cycle)s"),
    }
    return subjects[occasion] % {"cycle": cycle}


def render(digest: Digest, cycle: ReportingCycle) -> EmailMultiAlternatives:
    """The digest's mail, in the recipient's language."""
    with translation.override(digest.language):
        ja = translation.get_language() == "ja"
        states = dict(State.choices)
        lines = [
            {
                "kind": item.kind,
                "code": item.code,
                "title": (item.title_ja or item.title) if ja else (item.title or item.title_ja),
                "state": states.get(item.state, item.state),
                "url": item_url(item),
            }
            for item in digest.items
        ]
        context = {
            "occasion": digest.occasion,
            "cycle": cycle,
            "due_date": cycle.due_date,
            "days_overdue": max((digest.day - cycle.due_date).days, 0),
            "days_left": max((cycle.due_date - digest.day).days, 0),
            "reports": [line for line in lines if line["kind"] == REPORT],
            "figures": [line for line in lines if line["kind"] == FIGURE],
            "site_url": settings.SITE_URL,
        }
        mail = EmailMultiAlternatives(
            subject=subject(digest.occasion, cycle),
            body=render_to_string("reporting/mail/digest.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[digest.email],
        )
        mail.attach_alternative(
            render_to_string("reporting/mail/digest.html", context), "text/html"
        )
    return mail


def send(digest: Digest, cycle: ReportingCycle | None = None) -> None:
    """Render and send the digest; raises when the backend fails."""
    if cycle is None:
        cycle = ReportingCycle.objects.select_related("institution").get(pk=digest.cycle)
    render(digest, cycle).send(fail_silently=False)
