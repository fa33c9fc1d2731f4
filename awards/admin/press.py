"""The press kit of an award in the admin: the release to copy, its facts, the Word file."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext

from digitalesamt.lib.wordfile import CONTENT_TYPE

from ..models import Award
from ..press import docx_filename, press_facts, press_release, release_docx, release_text


class PressViews:
    """Views of AwardAdmin (a ModelAdmin): who may see the award may draft its release."""

    def _press_award(self, request: HttpRequest, object_id: int) -> Award | HttpResponse:
        """The award whose press kit is asked for, or where to go instead."""
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        award = get_object_or_404(Award, pk=object_id)
        if not self.has_view_permission(request, award):
            raise PermissionDenied
        if award.is_revoked:
            self.message_user(
                request,
                gettext(
                    "Die Auszeichnung %(number)s ist widerrufen: Für sie gibt es keinen Pressetext."
                )
                % {"number": award.number},
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:awards_award_change", args=[award.pk]))
        return award

    def press_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The release as plain text to copy, the facts it tells, and the Word file's link."""
        award = self._press_award(request, object_id)
        if isinstance(award, HttpResponse):
            return award
        facts = press_facts(award)
        return TemplateResponse(
            request,
            "admin/awards/press/page.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": award,
                "title": gettext("Pressetext zu %(number)s") % {"number": award.number},
                "award_url": reverse("admin:awards_award_change", args=[award.pk]),
                "docx_url": reverse("admin:awards_award_press_docx", args=[award.pk]),
                "docx_name": docx_filename(award.number),
                "facts": facts,
                "text": release_text(press_release(facts)),
            },
        )

    def press_docx_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The same release as a Word file to edit, headings as headings, gaps highlighted."""
        award = self._press_award(request, object_id)
        if isinstance(award, HttpResponse):
            return award
        facts = press_facts(award)
        response = HttpResponse(release_docx(press_release(facts)), content_type=CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{docx_filename(award.number)}"'
        return response
