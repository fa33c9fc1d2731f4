"""Template filters every template may use (TEMPLATES' "builtins"): they know no app."""

from django import template

from .forms import fields_with_errors

register = template.Library()
register.filter("fields_with_errors", fields_with_errors)
