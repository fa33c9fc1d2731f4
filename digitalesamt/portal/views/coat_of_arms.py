"""The coat of arms a Kommune's plaque shows: upload, replace, remove."""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from awards.models import Award
from awards.tasks import render_award_documents
from digitalesamt.lib.uploads import limit_upload, upload_too_large
from municipalities.models import Municipality

from ..access import municipal_staff_required
from ..forms import CoatOfArmsForm


@municipal_staff_required
@limit_upload(lambda: settings.COAT_OF_ARMS_MAX_BYTES)
@require_http_methods(["GET", "POST"])
def coat_of_arms(request: HttpRequest) -> HttpResponse:
    """Show, replace or remove the coat of arms the Kommune's plaque shows."""
    municipality = request.municipality
    form = CoatOfArmsForm()
    if request.method == "POST" and "entfernen" in request.GET:
        if municipality.coat_of_arms:
            _replace_coat_of_arms(municipality, "")
            messages.success(request, _("Das Wappen ist entfernt; das Schild zeigt keines mehr."))
        return redirect("portal:coat_of_arms")
    if request.method == "POST":
        files = request.FILES  # parse the body first: that is when the limit can be exceeded
        form = CoatOfArmsForm(request.POST, files, too_large=upload_too_large(request))
        if form.is_valid():
            digest = hashlib.sha256(form.png).hexdigest()[:12]
            name = default_storage.save(
                f"wappen/{municipality.ars}-{digest}.png", ContentFile(form.png)
            )
            _replace_coat_of_arms(municipality, name)
            messages.success(
                request, _("Das Wappen ist gespeichert. Das Schild zeigt es ab sofort.")
            )
            return redirect("portal:coat_of_arms")
    status = 400 if form.is_bound else 200
    context = {"municipality": municipality, "form": form}
    return render(request, "portal/coat_of_arms.html", context, status=status)


def _replace_coat_of_arms(municipality: Municipality, name: str) -> None:
    """Point the Kommune at a new file, then delete the old one and redraw its documents."""
    old = municipality.coat_of_arms.name
    with transaction.atomic():
        Municipality.objects.filter(pk=municipality.pk).update(coat_of_arms=name)
        municipality.coat_of_arms.name = name
        award = Award.objects.valid().filter(municipality=municipality).first()
        if award is not None:
            transaction.on_commit(lambda: render_award_documents.enqueue(award_id=award.pk))
        if old and old != name:
            transaction.on_commit(lambda: default_storage.delete(old))


@municipal_staff_required
@require_GET
def coat_of_arms_image(request: HttpRequest) -> HttpResponse:
    """Send the Kommune's stored coat of arms (re-encoded PNG) for the portal's preview."""
    name = request.municipality.coat_of_arms.name
    if not name or not default_storage.exists(name):
        raise Http404
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response
