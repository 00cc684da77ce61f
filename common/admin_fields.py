"""What the editor's admin forms fill in for them, and how they pick a country.

``FilledFromScope`` fills an add form's institution when the editor's scope reaches one
institution, and a unit editor's unit when they edit one unit. ``SearchableCountries`` gives
every country field a list that filters as one types, in the reader's language; the names in the
product's other language and ISO codes match too, so ``タイ``, ``たい``, ``Thai`` and ``TH`` all
find Thailand, whichever language the page is in. It uses the select2 that Django's admin
bundles, started by ``static/admin/js/country_select.js``.
"""

import functools

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import get_select2_language
from django.utils import translation
from django_countries import countries
from django_countries.fields import CountryField
from django_countries.widgets import LazySelect, LazySelectMultiple

from common.access import reach_of


class FilledFromScope:
    """Mixed into an ``AuditedAdmin``: an add form starts with the editor's own institution.

    A field picking an institution is filled when the editor's scope reaches exactly one; a
    field by which a unit editor's reach runs (an activity's unit, an initiative's lead unit) is
    filled when they edit exactly one unit. A value given in the page's address wins; an
    administrator, who acts for every institution, chooses each time.
    """

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        return {**self.scope_defaults(request), **initial}

    def scope_defaults(self, request) -> dict[str, int]:
        access = self.get_access(request)
        if access.everything:
            return {}
        only_institution = single(access.institution_ids)
        only_unit = single(access.unit_ids or ())
        unit_pickers = {path.split("__")[0] for path in self.reach.unit}
        defaults = {}
        for field in self.opts.fields:
            if not (field.many_to_one and field.editable):
                continue
            target = reach_of(field.related_model)
            if target.institution == ("id",) and only_institution is not None:
                defaults[field.name] = only_institution
            elif target.unit == ("id",) and field.name in unit_pickers and only_unit is not None:
                defaults[field.name] = only_unit
        return defaults


def single(ids) -> int | None:
    """The one id of ``ids``, or None if there are none or several."""
    return next(iter(ids)) if len(ids) == 1 else None


class SearchableCountryMixin:
    """A country list that select2 filters as one types; each option carries its code and its
    names in the product's languages for the filter (``data-search``), its label being the name
    in the reader's language (django-countries' translations of the CLDR names)."""

    css_class = "country-select"

    def __init__(self, attrs=None, choices=()):
        super().__init__({"class": self.css_class, **(attrs or {})}, choices)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value:
            option["attrs"]["data-search"] = searched_as(value)
        return option

    @property
    def media(self) -> forms.Media:
        extra = "" if settings.DEBUG else ".min"
        language = get_select2_language()
        i18n = (f"admin/js/vendor/select2/i18n/{language}.js",) if language else ()
        return forms.Media(
            js=(
                f"admin/js/vendor/jquery/jquery{extra}.js",
                f"admin/js/vendor/select2/select2.full{extra}.js",
                *i18n,
                "admin/js/jquery.init.js",
                "admin/js/country_select.js",
            ),
            css={
                "screen": (
                    f"admin/css/vendor/select2/select2{extra}.css",
                    "admin/css/autocomplete.css",
                    "admin/css/country_select.css",
                )
            },
        )


@functools.cache
def searched_as(code: str) -> str:
    """What finds a country whatever the reader's language: its code and its name in each of the
    product's languages (``TH Thailand タイ``)."""
    names = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            names.append(str(countries.name(code)))
    return " ".join([code, *dict.fromkeys(names)])


class CountrySelect(SearchableCountryMixin, LazySelect):
    pass


class CountrySelectMultiple(SearchableCountryMixin, LazySelectMultiple):
    pass


class SearchableCountries:
    """Mixed into a ``ModelAdmin``: each country field of its form is a ``CountrySelect``."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, CountryField) and "widget" not in kwargs:
            kwargs["widget"] = CountrySelectMultiple if db_field.multiple else CountrySelect
        return super().formfield_for_dbfield(db_field, request, **kwargs)
