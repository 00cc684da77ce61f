"""Django's ``makemessages``, also extracting the msgids of ``common.messages``' constructors.

A row error is made as ``message("This cell must not be empty.")`` rather than translated where
it is found (``common.messages``); xgettext is told those calls mark msgids, as ``gettext``'s do.
"""

from django.core.management.commands import makemessages

from common.messages import KEYWORDS


class Command(makemessages.Command):
    xgettext_options = [
        *makemessages.Command.xgettext_options,
        *(f"--keyword={keyword}" for keyword in KEYWORDS),
    ]
