"""API-nycklar under Mitt konto: make a key (shown once), see when each was last used, delete
one after a confirmation. A user manages only their own keys."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from vaxelstat.api.models import ApiToken


def _may(request: HttpRequest) -> None:
    user = request.user
    if user.organization is None or not user.may_open("reports"):  # type: ignore[union-attr]
        raise Http404


@login_required
def keys(request: HttpRequest) -> HttpResponse:
    _may(request)
    # A new key is shown once, on the page the creation redirects to (a reload makes none).
    new_key = request.session.pop("new_api_key", "")
    error = ""
    if request.method == "POST":
        name = request.POST.get("name", "").strip()[:100]
        if not name:
            error = _("Ge nyckeln ett namn, till exempel vad den används till.")
        else:
            _token, request.session["new_api_key"] = ApiToken.make(request.user, name)
            return redirect("api-keys")
    return render(
        request,
        "api/keys.html",
        {
            "tokens": ApiToken.objects.filter(user=request.user),  # type: ignore[misc]
            "new_key": new_key,
            "error": error,
            "openapi": request.build_absolute_uri("/api/v1/openapi.json"),
            "base": request.build_absolute_uri("/api/v1"),
        },
        status=400 if error else 200,
    )


@login_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    _may(request)
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if request.method == "POST":
        token.delete()
        messages.success(request, _("Nyckeln %(name)s är borttagen.") % {"name": token.name})
        return redirect("api-keys")
    return render(request, "api/key_delete.html", {"token": token})
