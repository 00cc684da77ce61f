"""Compile the translation catalogues into the .mo files the product reads, in pure Python.

Django's own ``compilemessages`` runs GNU gettext's ``msgfmt``, which a user's machine may lack.
So the compiled catalogues are committed beside their ``.po`` files and nothing is compiled where
the product runs; this command writes them with Babel (``make messages`` runs it after
``makemessages``). As msgfmt does, it leaves out fuzzy and untranslated entries, which the
product then shows in English. A ``.mo`` file is rewritten only when its content would change.

    python manage.py compile_catalogues
"""

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def catalogues() -> list[Path]:
    """Every ``.po`` file under the project's locale paths."""
    return sorted(po for root in settings.LOCALE_PATHS for po in Path(root).glob("*/*/*.po"))


def compiled(po: Path) -> bytes:
    """The ``.mo`` file that ``po`` compiles to; a syntax error in it raises ``CommandError``."""
    try:
        with po.open("rb") as source:
            catalogue = read_po(source, ignore_obsolete=True, abort_invalid=True)
    except Exception as error:  # Babel raises PoFileError, or ValueError on a bad header.
        raise CommandError(f"{po}: {error}") from error
    target = io.BytesIO()
    write_mo(target, catalogue, use_fuzzy=False)
    return target.getvalue()


class Command(BaseCommand):
    help = "Compile every locale/*/LC_MESSAGES/*.po into its .mo, in pure Python (Babel)."

    def handle(self, *args, **options) -> None:
        found = catalogues()
        if not found:
            raise CommandError(f"No .po files under {', '.join(map(str, settings.LOCALE_PATHS))}.")
        for po in found:
            mo, content = po.with_suffix(".mo"), compiled(po)
            if mo.exists() and mo.read_bytes() == content:
                self.stdout.write(f"{mo} is up to date")
                continue
            mo.write_bytes(content)
            self.stdout.write(f"Compiled {mo}")
