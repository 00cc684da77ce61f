"""The API reads JSON bodies only, bounded before they are parsed: a body longer than the
installation takes (``API_MAX_BODY_BYTES``) is refused unread (413), and one nested too deep to
be a record or a sheet's rows is refused (400) rather than parsed at the cost of the stack."""

import json
import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

# A record is an object of values, a bulk body an object holding a list of them (and a link's
# list): nothing the API takes is nested deeper.
MAX_DEPTH = 8


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        content = stream.read(limit + 1) if stream is not None else b""
        if len(content) > limit:
            raise BodyTooLarge(
                _("The body is larger than the %(limit)s bytes the API takes; send fewer rows.")
                % {"limit": f"{limit:,}"}
            )
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise exceptions.ParseError(_("The body is not UTF-8 text.")) from None
        if too_deep(text):
            raise exceptions.ParseError(
                _("The body is nested more than %(depth)s levels deep.") % {"depth": MAX_DEPTH}
            )
        try:
            return json.loads(text, parse_constant=refuse_constant)
        except ValueError as error:
            message = _("The body is not JSON: %(error)s") % {"error": error}
            raise exceptions.ParseError(message) from None


def too_deep(text: str) -> bool:
    """Whether brackets outside strings nest deeper than ``MAX_DEPTH``: counted before ``json``
    reads the body, so that it never recurses into one built to exhaust the stack."""
    depth = 0
    for bracket in BRACKETS.finditer(STRINGS.sub("", text)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > MAX_DEPTH:
            return True
        if depth < 0:
            return False  # no JSON at all: json says where
    return False


STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
BRACKETS = re.compile(r"[\[\]{}]")


def refuse_constant(name: str):
    """NaN and Infinity are no JSON, and no figure the product keeps."""
    raise ValueError(_("%(name)s is not a number JSON knows") % {"name": name})
