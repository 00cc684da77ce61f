"""The header's links that apps above ``portfolio`` register (``portfolio.dashboards.hooks``)."""

from django import template
from django.urls import reverse

from portfolio.dashboards.hooks import header_links

register = template.Library()


@register.simple_tag(takes_context=True)
def added_header_links(context) -> list[dict]:
    user = context.get("user")
    if user is None:
        return []
    return [{"label": link.label, "url": reverse(link.url_name)} for link in header_links(user)]
