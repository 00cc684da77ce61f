"""Expire the import previews not confirmed within ``IMPORT_PREVIEW_DAYS``, deleting their files.

Each upload expires a few of them too, so an installation without a scheduler still expires
them; a daily run of this command keeps the import folder small whatever the uploads.

    python manage.py expire_previews
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from imports.services import import_previews_expire


class Command(BaseCommand):
    help = "Expire the import previews not confirmed within IMPORT_PREVIEW_DAYS days."

    def handle(self, *args, **options) -> None:
        expired = import_previews_expire()
        self.stdout.write(
            ngettext(
                "%(count)s preview older than %(days)s days expired.",
                "%(count)s previews older than %(days)s days expired.",
                expired,
            )
            % {"count": expired, "days": settings.IMPORT_PREVIEW_DAYS}
        )
