"""The one gate of the municipal portal: a clerk sees and changes only their own Kommune's data.

Every portal view is wrapped in `municipal_staff_required`, which sets `request.municipality`
from the user's Membership; every object is then fetched through a helper scoped to it, so that
another Kommune's id answers 404 exactly like an id that does not exist.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from municipalities.models import Membership, ProcedureLink

View = Callable[..., HttpResponse]


def municipal_staff_required(view: View) -> View:
    """Require a logged-in member of a Kommune's staff and set `request.municipality`.

    Anonymous users go to the login page and come back afterwards; a user without Membership
    (ministry staff, a clerk whose access was removed) gets a 403 page that says why.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(
                request.get_full_path()
            )  # settings.LOGIN_URL: /konto/anmelden/
        membership = (
            Membership.objects.select_related("municipality").filter(user=user).first()
            if user.is_active
            else None
        )
        if membership is None:
            return render(request, "portal/no_membership.html", status=403)
        request.municipality = membership.municipality
        return view(request, *args, **kwargs)

    return wrapper


def get_own_link_or_404(request: HttpRequest, pk: int) -> ProcedureLink:
    """Return the procedure link `pk` of the user's Kommune, or raise 404."""
    return get_object_or_404(ProcedureLink, pk=pk, municipality=request.municipality)
