"""The dashboards and the main admin pages speak Japanese: no interface string left in English.

Each page is rendered for the same reader and records, once in English and once in Japanese, and
read the way a reader sees it: text nodes, the page title, ``<option>`` labels, and the attributes
a browser shows or reads aloud (``title``, ``placeholder``, ``alt``, ``aria-label``, the ``value``
of a submit button, an ``optgroup``'s ``label``). There is no hand-kept list of strings:

1. **Data is not interface.** Every string value in the database when the page is rendered (each
   text, code, JSON value and name of every row of every model, usernames included, each
   record's ``str()`` in both languages, and a value less another of its row that it begins with,
   as a goal's title after its code) is taken out of the page's text, whole words only, as are
   numbers, dates and punctuation. Not a choice's stored value: a page shows its label, which is
   interface; nor the names of content types and permissions, which would hide common words.
   Also taken out is text the markup itself declares foreign or untranslatable: an element with
   a ``lang`` other than the page's (the switcher's "English", a title shown in the other
   language), ``translate="no"``, and ``<code>``, ``<kbd>`` and ``<samp>`` (column names of the
   spreadsheets, which are fixed).
   Form fields' own values (inputs, ``<textarea>``) are data and are not read.
2. **Japanese pages carry no English words.** Any word of two or more Latin letters left in the
   Japanese page fails, unless a Japanese translation itself uses it: a word that appears in a
   translation of the project's catalogue (the translator chose to keep "CSV"), or an acronym that
   appears in a translation of any installed catalogue (Django's "URL", "ID"). This catches (a) a
   string not marked for translation and (b) a marked string that the catalogue lacks, leaves
   untranslated or fuzzy, or that is translated before the reader's language is known.
3. **What the English page shows from the catalogue, the Japanese page shows translated.** Every
   text of the English page that is an msgid of ``locale/ja/LC_MESSAGES/django.po`` with a
   translation must appear as that translation on the Japanese page.

A failure names the page and the text (data shown as "…"), and says which case it is, from the
catalogue: not in it (mark it, then ``make messages``), in it without a translation or fuzzy
(translate it), translated but shown in English (not marked where it is shown, or ``gettext`` at
import time instead of ``gettext_lazy``), an installed app's own message that the app leaves in
English (carry it in ``common/dependency_messages.py``), or a Python value shown as it is
(``None``, a list). Strings that Django and the installed apps translate come out in Japanese by
themselves and need nothing.

The records are loaded once for all pages (as ``setUpTestData`` does) and rolled back after.
"""

import datetime as dt
import gettext
import io
import re
from collections import defaultdict
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import models, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from common.roles import LEADERSHIP
from imports.engine import KINDS
from imports.formats import write_table
from imports.models import ImportBatch
from policies.models import Framework, Goal, Indicator
from portfolio.models import Activity, Agreement, Initiative, PartnerInstitution
from reporting.models import FigureReport, Report, ReportingCycle, State
from tests.factories import UserFactory, user_with_role
from units.models import Institution, Person, Unit

pytestmark = pytest.mark.django_db
CATALOGUE = Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES" / "django.po"

# Attributes a browser shows, or a screen reader reads, as the element's text.
SHOWN_ATTRIBUTES = {
    "title",
    "placeholder",
    "alt",
    "aria-label",
    "aria-description",
    "aria-placeholder",
    "aria-roledescription",
    "aria-valuetext",
}
BUTTON_INPUTS = {"submit", "button", "reset"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
VOID |= {"track", "wbr", "use", "path"}
# Content that is not interface text: scripts, styles, form data, and code by its own markup.
UNREAD = {"script", "style", "textarea", "code", "kbd", "samp"}
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
LATIN_RUN = re.compile(r"[A-Za-z0-9]+")
ACRONYM = re.compile(r"^(?:[A-Z]{2,}[a-z]?|[A-Z][a-z]*[A-Z]\w*)$")
# What fills a placeholder on the page: data (taken out, "…"), numbers, dates, Japanese; a
# placeholder does not stand for English words, so "Activities %(fy)s" is not "Activities by type".
FILLED = "[^A-Za-z]+?"
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[sdif]|\{\w*\}")


def squeeze(text: str) -> str:
    return " ".join(text.split())


class Reading(HTMLParser):
    """The texts a reader sees or hears on a page, in document order, each once."""

    def __init__(self, language: str):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.open: list[tuple[str, bool]] = []  # (tag, whether its content is read)
        self.texts: dict[str, None] = {}

    def reading(self) -> bool:
        return all(read for _tag, read in self.open)

    def add(self, text: str) -> None:
        text = squeeze(text)
        if text:
            self.texts.setdefault(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = {name: value or "" for name, value in attrs}
        lang = attributes.get("lang", "").split("-")[0]
        read = (
            tag not in UNREAD
            and attributes.get("translate") != "no"
            and (not lang or lang == self.language)
        )
        if self.reading() and read:
            for name in SHOWN_ATTRIBUTES & attributes.keys():
                self.add(attributes[name])
            if tag == "input" and attributes.get("type", "text") in BUTTON_INPUTS:
                self.add(attributes.get("value", ""))
            if tag == "optgroup":
                self.add(attributes.get("label", ""))
        if tag not in VOID:
            self.open.append((tag, read))

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        # Browsers close what an end tag leaves open (an unclosed <p> or <li>); so does this.
        for depth in range(len(self.open) - 1, -1, -1):
            if self.open[depth][0] == tag:
                del self.open[depth:]
                return

    def handle_data(self, data: str) -> None:
        if self.reading():
            self.add(data)


def texts_of(page: str, language: str) -> list[str]:
    reader = Reading(language)
    reader.feed(page)
    reader.close()
    return list(reader.texts)


class Data:
    """Every string value in the database, found where a page shows it, whole words only."""

    def __init__(self, values: set[str]):
        self.by_first_run: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for value in values:
            value = squeeze(value)
            first = LATIN_RUN.search(value)
            if first:  # text without Latin letters or digits can never fail a page
                self.by_first_run[first.group()].append((value, first.start()))
        for candidates in self.by_first_run.values():
            candidates.sort(key=lambda candidate: -len(candidate[0]))

    def without(self, text: str) -> str:
        """``text`` with each value of the database in it replaced by an ellipsis."""
        kept, end = [], 0
        for run in LATIN_RUN.finditer(text):
            if run.start() < end:
                continue
            for value, offset in self.by_first_run.get(run.group(), ()):
                start = run.start() - offset
                stop = start + len(value)
                if start >= end and text.startswith(value, start) and whole(text, start, stop):
                    kept.append(text[end:start] + "…")
                    end = stop
                    break
        return "".join(kept) + text[end:]


def whole(text: str, start: int, stop: int) -> bool:
    """Whether text[start:stop] is not part of a longer word or number."""

    def alnum(at: int) -> bool:
        return 0 <= at < len(text) and text[at].isascii() and text[at].isalnum()

    return not (alnum(start - 1) and alnum(start)) and not (alnum(stop - 1) and alnum(stop))


# Bookkeeping rows that no page shows as such: their names ("goal", "Can add goal") would hide
# interface words.
BOOKKEEPING = {"contenttypes.contenttype", "auth.permission", "sessions.session"}


def database_strings() -> set[str]:
    """Each string value of each row of each model, and each row's ``str()`` in both languages.

    A choice's stored value is left out: a page shows its label, which is interface text, and a
    page showing the stored value instead (``on_track``) is left in English.
    """
    found: set[str] = set()
    for model in apps.get_models():
        # (An unmanaged model has no table: django-rq's, installed with the RQ task queue.)
        if model._meta.label_lower in BOOKKEEPING or not model._meta.managed:
            continue
        fields = [f for f in model._meta.concrete_fields if not f.is_relation and not f.choices]
        for row in model._default_manager.all():
            values: set[str] = set()
            for field in fields:
                collect(field.value_from_object(row), values)
            if not model.__name__.startswith("Historical"):
                for language in ("en", "ja"):
                    with translation.override(language):
                        values.add(str(row))
            found |= values | remainders(values)
    return found


def remainders(values: set[str]) -> set[str]:
    """A value less another value of the same row it begins with (a title after its code)."""
    return {
        value[len(prefix) :].strip(" :—-")
        for value in values
        for prefix in values
        if prefix and value != prefix and value.startswith(prefix + " ")
    }


def collect(value: object, found: set[str]) -> None:
    if isinstance(value, str):
        found.add(value)
        # Multi-line text is shown a line or a paragraph at a time.
        found.update(line for line in re.split(r"\s*\n\s*", value) if line)
    elif isinstance(value, dict):
        for item in value.values():  # the keys name the parts ("row", "message")
            collect(item, found)
    elif isinstance(value, list | tuple | set):
        for item in value:
            collect(item, found)
    elif value is not None and not isinstance(value, bool | int | float):
        collect(str(value), found)  # decimals, dates, UUIDs


@cache
def our_catalogue() -> dict[str, str]:
    """msgid to msgstr of the project's catalogue: "" where untranslated, None where fuzzy."""
    with CATALOGUE.open("rb") as source:
        catalogue = read_po(source, ignore_obsolete=True)
    entries: dict[str, str | None] = {}
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if message.pluralizable else (message.id,)
        strings = message.string if message.pluralizable else (message.string,)
        for msgid in ids:
            entries[squeeze(msgid)] = None if message.fuzzy else squeeze(strings[0] or "")
    return entries


@cache
def loanwords() -> frozenset[str]:
    """Latin words that Japanese translations keep: any of ours, and acronyms of any catalogue."""
    words = {
        word
        for string in our_catalogue().values()
        if string
        for word in LATIN_WORD.findall(PLACEHOLDER.sub(" ", string))
    }
    merged = translation.trans_real.translation("ja")._catalog
    for key, string in merged.items():
        if key and isinstance(string, str):
            text = PLACEHOLDER.sub(" ", re.sub(r"<[^>]+>", " ", string))
            words.update(word for word in LATIN_WORD.findall(text) if ACRONYM.match(word))
    return frozenset(words)


@cache
def untranslated_apps_messages() -> list[tuple[re.Pattern, str]]:
    """Installed apps' messages that nothing translates into Japanese, as patterns.

    An app's messages are those its catalogues translate into any language.
    """
    ours = set(our_catalogue())
    patterns = []
    with translation.override("ja"):
        for config in apps.get_app_configs():
            seen: set[str] = set()
            for mo in sorted(Path(config.path).glob("locale/*/LC_MESSAGES/django.mo")):
                with mo.open("rb") as compiled:
                    keys = gettext.GNUTranslations(compiled)._catalog
                seen.update(key if isinstance(key, str) else key[0] for key in keys)
            for msgid in sorted(seen - ours - {""}):
                if "\x04" in msgid or translation.gettext(msgid) != msgid:
                    continue
                literal = PLACEHOLDER.sub("\0", squeeze(msgid))
                if LATIN_WORD.search(literal):
                    pattern = FILLED.join(map(re.escape, literal.split("\0")))
                    patterns.append((re.compile(pattern), config.name))
    return patterns


@cache
def catalogue_patterns() -> list[tuple[re.Pattern, str]]:
    """Our msgids as patterns (a placeholder matches any text), the most specific first.

    An msgid with no Latin word outside its placeholders ("%(column)s: %(message)s") would match
    any text, and is left out.
    """
    patterns = []
    for msgid in our_catalogue():
        literal = PLACEHOLDER.sub("\0", msgid)
        if LATIN_WORD.search(literal):
            pattern = FILLED.join(map(re.escape, literal.split("\0")))
            patterns.append((re.compile(pattern), msgid))
    return sorted(patterns, key=lambda item: -len(PLACEHOLDER.sub("", item[1])))


def state_in_catalogue(msgid: str) -> str:
    string = our_catalogue()[msgid]
    if string is None:
        return f"fuzzy in the catalogue as {msgid!r}: check it and drop the flag"
    if not string:
        return f"in the catalogue as {msgid!r}, without a translation"
    return (
        f"translated in the catalogue as {msgid!r}, yet shown in English: not marked where it is "
        "shown, or translated before the reader's language is known (gettext at import time)"
    )


UNMARKED = "not in the catalogue: mark it for translation, then `make messages`"
PYTHON_VALUE = re.compile(r"None|True|False|[\[{(].*[\]})]")


def diagnosis(text: str, shown: str) -> str:
    """Why ``text`` is in English on the Japanese page, from the catalogues."""
    for candidate in (text, shown):
        if candidate in our_catalogue():
            return state_in_catalogue(candidate)
    if PYTHON_VALUE.fullmatch(shown):
        return "a Python value shown as it is: show it as text in the reader's language"
    for pattern, msgid in catalogue_patterns():
        if pattern.fullmatch(shown):
            return state_in_catalogue(msgid)
    # The admin capitalises model names ("access attempts" is shown "Access attempts").
    candidates = (shown, shown[:1].lower() + shown[1:])
    for pattern, app in untranslated_apps_messages():
        if any(pattern.fullmatch(candidate) for candidate in candidates):
            return (
                f"not in the catalogue; {app}'s own message, which it leaves in English: list it "
                "in common/dependency_messages.py, then `make messages`"
            )
    # A text made of several messages (a page's title and the site's name), one untranslated.
    for pattern, msgid in catalogue_patterns():
        found = pattern.search(shown)
        if found and not our_catalogue()[msgid] and whole(shown, found.start(), found.end()):
            return f"{UNMARKED} (it holds {state_in_catalogue(msgid)})"
    return UNMARKED


def english_left(page: str, data: Data) -> list[str]:
    allowed = loanwords()
    problems = []
    for text in texts_of(page, "ja"):
        shown = data.without(text)
        words = [word for word in LATIN_WORD.findall(shown) if word not in allowed]
        if words:
            problems.append(f"{shown!r}: {diagnosis(text, shown)}")
    return problems


def translations_missing(english: str, japanese: str, data: Data) -> list[str]:
    entries = our_catalogue()
    japanese_text = "\n".join(texts_of(japanese, "ja"))
    missing = []
    for text in texts_of(english, "en"):
        string = entries.get(text)
        if string and data.without(text) == text and string not in japanese_text:
            missing.append(f"{text!r} is translated {string!r}, which the Japanese page lacks")
    return missing


# The pages: (id, who reads it, how to find its URL once the records exist).
DASHBOARDS = [
    ("overview", lambda: reverse("dashboards:overview") + "?fy=2025"),
    ("framework ISO-KU", lambda: reverse("dashboards:framework", args=[fw("ISO-KU")])),
    ("framework TMU-IBP", lambda: reverse("dashboards:framework", args=[fw("TMU-IBP")])),
    ("goal CONNECT", lambda: reverse("dashboards:goal", args=[goal("ISO-KU", "CONNECT")])),
    ("goal TMU 2.1", lambda: reverse("dashboards:goal", args=[goal("TMU-IBP", "2.1")])),
    ("unit ISO-KU", lambda: reverse("dashboards:unit", args=[unit("ISO-KU")])),
    ("unit ASEAN Center", lambda: reverse("dashboards:unit", args=[unit("ASEAN-CENTER")])),
    ("crosswalk", lambda: reverse("dashboards:crosswalk")),
    ("regions", lambda: reverse("dashboards:regions") + "?fy=2025"),
    ("reporting cycles", lambda: reverse("reporting:cycles")),
    ("reporting board", lambda: reverse("reporting:cycle", args=[open_cycle()])),
]
MAIN_MODELS = [Institution, Unit, Framework, Goal, Initiative, Activity, PartnerInstitution]
MAIN_MODELS += [Agreement, Indicator]
ADMIN = [
    ("admin index", lambda: reverse("admin:index")),
    # A superuser owes the reports of the initiatives they own, and reviews every submitted one.
    ("my reports", lambda: reverse("reporting:mine")),
]
for _model in MAIN_MODELS:
    _name = f"{_model._meta.app_label}_{_model._meta.model_name}"
    ADMIN += [
        (f"{_name} list", lambda name=_name: reverse(f"admin:{name}_changelist")),
        (f"{_name} add", lambda name=_name: reverse(f"admin:{name}_add")),
        (f"{_name} change", lambda name=_name, m=_model: admin_change(name, m)),
    ]
ADMIN += [
    ("initiative history", lambda: admin_change("portfolio_initiative", Initiative, "history")),
    ("import batch list", lambda: reverse("admin:imports_importbatch_changelist")),
    ("import batch change", lambda: admin_change("imports_importbatch", ImportBatch)),
    ("import upload", lambda: reverse("admin:imports_importbatch_upload")),
    ("import preview", lambda: preview_url()),
]
SIGNED_OUT = [
    ("admin login", lambda: reverse("admin:login") + "?next=/admin/"),
    ("dashboards login", lambda: reverse("login")),
]
PAGES = (
    [(name, "leader", url) for name, url in DASHBOARDS]
    + [(name, "admin", url) for name, url in ADMIN]
    + [(name, "anonymous", url) for name, url in SIGNED_OUT]
)


def fw(code: str) -> int:
    return Framework.objects.get(code=code).pk


def goal(framework: str, code: str) -> int:
    return Goal.objects.get(framework__code=framework, code=code).pk


def unit(code: str) -> int:
    return Unit.objects.filter(code=code).order_by("pk").first().pk


def admin_change(name: str, model: type[models.Model], view: str = "change") -> str:
    return reverse(f"admin:{name}_{view}", args=[model._default_manager.order_by("pk").first().pk])


def open_cycle() -> int:
    return ReportingCycle.objects.filter(closed_at__isnull=True).latest("pk").pk


def open_a_reporting_cycle(owner) -> None:
    """A cycle past its due date, its items in every state, one of them owed by ``owner``."""
    institution = Institution.objects.order_by("pk").first()
    cycle = ReportingCycle.objects.create(
        institution=institution, fiscal_year=2025, period="q1", due_date=dt.date(2025, 7, 15)
    )
    states = list(State)
    initiatives = Initiative.objects.filter(institution=institution).order_by("pk")[:10]
    for n, initiative in enumerate(initiatives):
        Report.objects.create(cycle=cycle, initiative=initiative, state=states[n % 5])
    # The first, not started: the owner owes it (a superuser reviews the submitted ones).
    Person.objects.filter(pk=initiatives[0].owner_id).update(user=owner)
    indicators = Indicator.objects.filter(goal__framework__institution=institution)
    for n, indicator in enumerate(indicators.order_by("pk")[:10]):
        FigureReport.objects.create(cycle=cycle, indicator=indicator, state=states[n % 5])


def preview_url() -> str:
    batch = ImportBatch.objects.filter(status=ImportBatch.Status.PREVIEWED).latest("pk")
    return reverse("admin:imports_importbatch_preview", args=[batch.pk])


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> tuple[dict[str, Client], Data]:
    """The demo set, a leader of both institutions, a superuser, and an import in preview.

    Loaded once for every page of the module, as Django's ``setUpTestData`` does: in a
    transaction rolled back after the last page, each page's test in a savepoint of its own.
    """
    imports = tmp_path_factory.mktemp("imports")
    with (
        django_db_blocker.unblock(),
        override_settings(IMPORT_DIR=imports),
        transaction.atomic(),
    ):
        readers = signed_in_readers()
        yield readers, Data(database_strings())
        transaction.set_rollback(True)


def signed_in_readers() -> dict[str, Client]:
    call_command("load_sources", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())
    leader, admin, anonymous = Client(), Client(), Client()
    leader.force_login(
        user_with_role(LEADERSHIP, institutions=Institution.objects.all(), username="president")
    )
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    admin.force_login(root)
    open_a_reporting_cycle(root)
    # A spreadsheet with a good row and a failing one, uploaded in Japanese: previewed, kept.
    content = write_table(
        "csv",
        KINDS["partners"]().headers(),
        [["Chulalongkorn University", "", "TH", "Bangkok", ""], ["", "", "ZZ", "", ""]],
    )
    upload = io.BytesIO(content)
    upload.name = "partners.csv"
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    with translation.override(translation.get_language()):  # see language_left_as_found
        response = admin.post(
            reverse("admin:imports_importbatch_upload"), {"kind": "partners", "file": upload}
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return {"leader": leader, "admin": admin, "anonymous": anonymous}


@pytest.fixture(autouse=True)
def language_left_as_found():
    """A request leaves its reader's language active in the thread (LocaleMiddleware does not put
    it back); the tests that run after these in the same process expect English."""
    with translation.override(translation.get_language()):
        yield


def rendered(client: Client, url: str, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200, f"{url} in {language}: {response.status_code}"
    return response.content.decode()


# Not "page": pytest-playwright's fixture of that name would make this a browser test.
@pytest.mark.parametrize(("name", "who", "url"), PAGES, ids=[name for name, _, _ in PAGES])
def test_the_page_has_no_interface_string_left_in_english(world, name, who, url):
    readers, data = world
    address = url()
    english = rendered(readers[who], address, "en")
    japanese = rendered(readers[who], address, "ja")
    problems = english_left(japanese, data) + translations_missing(english, japanese, data)
    assert not problems, f"{name} ({address}) in Japanese, {len(problems)} texts:\n" + (
        "\n".join(problems)
    )
