"""Build the POST data an editor's browser would send from an admin change page."""

from django.http import HttpResponse


def _field_value(bound_field):
    value = bound_field.value()
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return value


def form_data(response: HttpResponse) -> dict:
    """The values of the change page's form and inline formsets, as a browser would submit them."""
    context = response.context
    data = {}
    form = context["adminform"].form
    for name in form.fields:
        data[form[name].html_name] = _field_value(form[name])
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        for name, field in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = field
        for inline_form in formset.forms:
            for name in inline_form.fields:
                data[inline_form[name].html_name] = _field_value(inline_form[name])
    return {key: value for key, value in data.items() if value is not False}
