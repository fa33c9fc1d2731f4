"""The reviewer's desk on the admin's start page, as a tag of its own.

The start page stays Django's (and whatever AdminSite the project uses, a second factor's
too): templates/admin/index.html asks for the desk with {% review_desk %}, and only a user who
may see applications gets it.
"""

from django import template

from awards.admin.desk import desk, may_see_desk

register = template.Library()


@register.inclusion_tag("admin/awards/desk.html", takes_context=True)
def review_desk(context: template.Context) -> dict:
    request = context["request"]
    if not may_see_desk(request):
        return {"show": False}
    return {"show": True, **desk(request)}
