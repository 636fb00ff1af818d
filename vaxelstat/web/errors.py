"""The site's own error pages (Django's debug pages are never shown unless VAXELSTAT_DEBUG=1):
a short page in the user's language, or JSON `{"error": ...}` under /api/. They name no setting
and no URL of the site."""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

# (Title, what to do), by status. Translated when a page is made.
MESSAGES = {
    400: (
        gettext_noop("Felaktig förfrågan"),
        gettext_noop("Förfrågan kunde inte läsas. Gå tillbaka och försök igen."),
    ),
    403: (
        gettext_noop("Åtkomst nekad"),
        gettext_noop("Du har inte behörighet till den här sidan."),
    ),
    404: (
        gettext_noop("Sidan finns inte"),
        gettext_noop("Adressen leder ingenstans. Kontrollera den, eller börja om."),
    ),
    429: (
        gettext_noop("För många förfrågningar"),
        gettext_noop("Vänta en stund och försök igen."),
    ),
    500: (
        gettext_noop("Något gick fel"),
        gettext_noop("Ett fel uppstod hos oss. Det är loggat; försök igen om en stund."),
    ),
}


def answer(request: HttpRequest, status: int) -> HttpResponse:
    title, text = (_(m) for m in MESSAGES[status])
    if request.path.startswith("/api/"):
        return JsonResponse({"error": f"{title}: {text}"}, status=status)
    template = loader.get_template("error.html")
    # No request context: a page that must render even where the database is what failed.
    html = template.render(
        {"status": status, "title": title, "text": text, "LANGUAGE_CODE": get_language()}
    )
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return answer(request, 400)


def forbidden(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return answer(request, 403)


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return answer(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return answer(request, 500)
