"""What an app above ``portfolio`` adds to the dashboards' pages, without ``portfolio`` naming it.

``portfolio`` may not import the apps above it (``tests/test_layers.py``), yet leadership reads
their figures on its pages: the reporting cycle's completion on the overview and on each goal's
page. So an app registers, in its ``ready()``:

- a **panel** of a page (``add_panel``): a template, and a function of the page's ``Filters`` and
  record (``goal=``, ``node=``, ``initiative=``) that returns the template's context, or None when
  there is nothing to show. The page renders each panel's template where its own template says
  (``{% for extension in extensions %}{% include extension.template %}{% endfor %}``), the
  panel's template reading its context as ``extension`` (``extension.completions``). A panel's
  function must issue a fixed number of queries, whatever the number of records, as every
  dashboard page does;
- a **link of the site's header** (``add_header_link``): a label, a URL name and who sees it.

The pages are cached until records change (``cache.py``); a panel's records are written through
doors that leave history rows, so its figures go stale with the page, not after it.
"""

from collections.abc import Callable
from dataclasses import dataclass

PAGES = ("overview", "goal", "initiative")


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable[..., dict | None]


@dataclass(frozen=True)
class HeaderLink:
    label: str
    url_name: str
    shown_to: Callable[[object], bool]


_panels: dict[str, list[Panel]] = {page: [] for page in PAGES}
_links: list[HeaderLink] = []


def add_panel(page: str, template: str, context: Callable[..., dict | None]) -> None:
    """Show ``template`` on ``page`` with what ``context(filters, **records)`` returns."""
    panel = Panel(template, context)
    if panel not in _panels[page]:
        _panels[page].append(panel)


def panels_of(page: str, filters, **records) -> list[dict]:
    """The panels registered for ``page``, each its template and context, in the order added."""
    shown = []
    for panel in _panels[page]:
        context = panel.context(filters, **records)
        if context is not None:
            shown.append({"template": panel.template, **context})
    return shown


def add_header_link(label: str, url_name: str, shown_to: Callable[[object], bool]) -> None:
    """A link of the header to ``url_name``, shown to the users ``shown_to`` accepts."""
    link = HeaderLink(label, url_name, shown_to)
    if link not in _links:
        _links.append(link)


def header_links(user) -> list[HeaderLink]:
    return [link for link in _links if user.is_authenticated and link.shown_to(user)]
