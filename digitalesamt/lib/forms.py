"""Forms in the KERN design: one renderer, one bound field, one field template.

`FORM_RENDERER` points at `KernFormRenderer`, so `{{ form.field.as_field_group }}` renders
templates/forms/field.html for every form of the site, and every widget gets the KERN class for
its type here, not on each form. templates/forms/errors.html is the error summary above a form.
"""

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext as _

# The KERN class of a widget's input, by the widget's `input_type` or its kind.
INPUT_CLASSES = {
    "select": "kern-form-input__select",
    "radio": "kern-form-check__radio",
    "checkbox": "kern-form-check__checkbox",
}
DEFAULT_INPUT_CLASS = "kern-form-input__input"


def kern_class(widget: forms.Widget) -> str:
    """Return KERN's class for the input a widget draws."""
    if isinstance(widget, forms.Select | forms.SelectMultiple) and not isinstance(
        widget, forms.RadioSelect | forms.CheckboxSelectMultiple
    ):
        return INPUT_CLASSES["select"]
    if isinstance(widget, forms.RadioSelect):
        return INPUT_CLASSES["radio"]
    if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
        return INPUT_CLASSES["checkbox"]
    return DEFAULT_INPUT_CLASS


class KernBoundField(BoundField):
    """Give each widget KERN's class for its kind, with the error modifier when it has errors."""

    def build_widget_attrs(self, attrs: dict, widget: forms.Widget | None = None) -> dict:
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if widget.is_hidden:
            return attrs
        own = kern_class(widget)
        classes = [attrs.get("class") or widget.attrs.get("class", ""), own]
        if self.errors:
            classes.append(f"{own}--error")
        attrs["class"] = " ".join(dict.fromkeys(" ".join(filter(None, classes)).split()))
        return attrs

    @property
    def anchor(self) -> str:
        """Return the id the error summary links to: the input, or a group's first option."""
        return self.id_for_label or f"{self.auto_id}_0"

    @property
    def marked_optional(self) -> bool:
        """Whether the label says "optional": not in forms where every field is (filters)."""
        return not self.field.required and getattr(self.form, "mark_optional", True)


class KernFormRenderer(TemplatesSetting):
    """Render forms with the project's templates (TEMPLATES), in KERN's markup."""

    field_template_name = "forms/field.html"
    bound_field_class = KernBoundField


def required_message(field: forms.Field, label: str) -> str:
    """Return what to do when a required field is empty, built from its label (GOV.UK style)."""
    widget = field.widget
    if isinstance(widget, forms.CheckboxInput):
        return _("Setzen Sie das Häkchen bei „%(label)s“.") % {"label": label}
    if isinstance(widget, forms.FileInput):
        return _("Wählen Sie eine Datei für „%(label)s“ aus.") % {"label": label}
    if isinstance(field, forms.ChoiceField):
        return _("Wählen Sie „%(label)s“ aus.") % {"label": label}
    return _("Geben Sie „%(label)s“ ein.") % {"label": label}


class SaysWhatToDo:
    """Mixin: an empty required field says what to do, never Django's "This field is required."

    A field's own `error_messages["required"]` wins; only Django's default message is replaced,
    by one built from the field's label as it stands when the form is cleaned.
    """

    def full_clean(self) -> None:
        default = str(forms.Field.default_error_messages["required"])
        for name, field in self.fields.items():
            if str(field.error_messages.get("required", "")) == default:
                field.error_messages["required"] = required_message(field, self[name].label)
        super().full_clean()


class PageForm(SaysWhatToDo, forms.Form):
    """A form that shares its page with others: its ids carry its own prefix, names do not."""

    id_prefix = "form"

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def first_error(form: forms.Form) -> str:
    """Return the first message of an invalid form, for a page that shows one message."""
    return next(str(error) for errors in form.errors.values() for error in errors)


def fields_with_errors(form: forms.Form) -> list[BoundField]:
    """Return the visible fields that have errors, in form order (for the error summary)."""
    return [field for field in form.visible_fields() if field.errors]
