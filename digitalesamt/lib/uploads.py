"""Uploads with a size limit that holds before the file is read to its end.

    @limit_upload(lambda: settings.MY_UPLOAD_MAX_BYTES)
    def upload(request):
        files = request.FILES  # reading the body is when the limit can be passed
        form = MyUploadForm(request.POST, files, too_large=upload_too_large(request))

The limit handler drops a file once it passes the limit, before it is spooled to disk, and
the form says so in German instead of "this field is required".
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse
from django.utils.formats import number_format
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .forms import SaysWhatToDo

View = Callable[..., HttpResponse]


class UploadLimitHandler(FileUploadHandler):
    """Drop an uploaded file once it passes the limit, before it is spooled to disk."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the file


def megabytes(size: int) -> str:
    """Name a size in bytes as a message states a limit: "5 MB", "2,5 MB" (MB = 1024²)."""
    value = size / (1024 * 1024)
    decimals = 0 if value == int(value) else 1
    return f"{number_format(value, decimal_pos=decimals, force_grouping=True)} MB"


def limit_upload(limit: int | Callable[[], int]) -> Callable[[View], View]:
    """Put the limit handler in place before anything reads the body of a POST.

    `limit` is a number of bytes or a function that returns it on each request (so that a
    limit read from the settings follows them). CSRF middleware would read the body first, so
    the view is exempt from it and checks the token itself once the handler is in place.
    """

    def decorator(view: View) -> View:
        protected = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            request.upload_limit = None
            if request.method == "POST":
                handler = UploadLimitHandler(request, limit() if callable(limit) else limit)
                try:
                    request.upload_handlers.insert(0, handler)
                    request.upload_limit = handler
                except AttributeError:
                    pass  # the body was read already; the form still checks the size
            return protected(request, *args, **kwargs)

        return wrapper

    return decorator


def upload_too_large(request: HttpRequest) -> bool:
    """Tell whether the limit handler dropped a file of this request (after reading FILES)."""
    handler = getattr(request, "upload_limit", None)
    return bool(handler and handler.exceeded)


class LimitedUploadForm(SaysWhatToDo, forms.Form):
    """A form with one file field (`upload_field`) of at most `max_bytes`.

    A subclass usually makes `max_bytes` a property that reads a setting.
    """

    upload_field = "file"
    max_bytes = 5 * 1024 * 1024

    def __init__(self, *args: Any, too_large: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The upload handler dropped a file above the limit before it was read to the end.
        self.too_large = too_large

    def too_large_message(self) -> str:
        raise NotImplementedError

    def clean(self) -> dict:
        if self.too_large:
            # The file never arrived, so "required" would be the wrong complaint.
            self.errors.pop(self.upload_field, None)
            self.add_error(
                self.upload_field, ValidationError(self.too_large_message(), code="too_large")
            )
        return super().clean()

    def check_size(self, upload: UploadedFile) -> UploadedFile:
        if upload.size > self.max_bytes:
            raise ValidationError(self.too_large_message(), code="too_large")
        return upload
