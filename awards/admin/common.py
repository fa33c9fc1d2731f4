"""What the ministry's admin pages of the award share."""

from collections.abc import Callable

from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse

from ..models import Application, SpotCheck


def has_model_permission(request: HttpRequest, model: type[Model], action: str) -> bool:
    opts = model._meta
    return request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")


def post_only(request: HttpRequest) -> HttpResponse | None:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


class ApplicationViews:
    """What the views of the application page share: permissions, lookup and the way back."""

    def has_review_permission(self, request: HttpRequest) -> bool:
        return has_model_permission(request, Application, "change")

    def has_draw_permission(self, request: HttpRequest) -> bool:
        return has_model_permission(request, SpotCheck, "add")

    def has_verdict_permission(self, request: HttpRequest) -> bool:
        return has_model_permission(request, SpotCheck, "change")

    def _application(
        self, request: HttpRequest, object_id: int, permitted: Callable[[HttpRequest], bool]
    ) -> Application:
        if not permitted(request):
            raise PermissionDenied
        return get_object_or_404(Application.objects.select_related("municipality"), pk=object_id)

    def _back(self, application: Application, anchor: str = "") -> HttpResponseRedirect:
        url = reverse("admin:awards_application_change", args=[application.pk])
        return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)
