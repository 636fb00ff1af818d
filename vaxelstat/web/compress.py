"""Compressed answers: text the server makes (pages, JSON, CSV) is sent gzipped to a browser
that takes it. A year's report page is half a megabyte of HTML and a tenth of that gzipped.
Files that are compressed already (xlsx, PDF, images) and static files (whitenoise sends its
own compressed copies) are sent as they are."""

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware

# The content types worth compressing (their text repeats itself).
TEXT = ("text/", "application/json", "application/javascript", "image/svg+xml")


class CompressText(GZipMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not response.get("Content-Type", "").startswith(TEXT):
            return response
        return super().process_response(request, response)
