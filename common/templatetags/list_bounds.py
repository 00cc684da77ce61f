"""``{% date_hierarchy_bounded cl %}``: the admin's date hierarchy without a DISTINCT over the
list (``common.admin_lists.date_hierarchy_bounded``), rendered by Django's own template."""

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from common.admin_lists import date_hierarchy_bounded

register = template.Library()


@register.tag(name="date_hierarchy_bounded")
def date_hierarchy_bounded_tag(parser, token):
    return InclusionAdminNode(
        parser,
        token,
        func=date_hierarchy_bounded,
        template_name="date_hierarchy.html",
        takes_context=False,
    )
