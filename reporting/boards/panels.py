"""What the reporting cycle adds to the leadership dashboards, through their registry
(``portfolio.dashboards.hooks``), which ``reporting``'s ``ready()`` fills in: the open cycles'
completion on the overview and on each goal's page, and the header's links to the boards. One
query per panel where no cycle is open, three where any is, whatever the number of cycles and
items."""

from django.utils.translation import gettext_lazy as _

from portfolio.dashboards.hooks import add_header_link, add_panel
from reporting.boards.selectors import goal_completion, open_completion
from reporting.models import ReportingCycle
from units.roles import DASHBOARDS

COMPLETION = "reporting/_completion.html"


def overview_completion(filters, **records) -> dict | None:
    """The open cycles of the institutions within the filters, each its completion."""
    completions = open_completion(ReportingCycle.objects.filter(filters.within(ReportingCycle)))
    return {"completions": completions, "of_goal": False} if completions else None


def goal_cycle_completion(filters, *, node, **records) -> dict | None:
    """The open cycles' items of the goal's subtree, each cycle its completion."""
    cycles = ReportingCycle.objects.filter(filters.within(ReportingCycle))
    completions = goal_completion(cycles, node.subtree)
    return {"completions": completions, "of_goal": True} if completions else None


def reads_dashboards(user) -> bool:
    return user.has_perm(DASHBOARDS)


def is_staff(user) -> bool:
    return user.is_staff


def register() -> None:
    add_panel("overview", COMPLETION, overview_completion)
    add_panel("goal", COMPLETION, goal_cycle_completion)
    add_header_link(_("Reporting"), "reporting:cycles", reads_dashboards)
    add_header_link(_("My reports"), "reporting:mine", is_staff)
