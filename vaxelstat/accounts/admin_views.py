"""Administration → Användare: an organization's admins manage its users."""

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaxelstat.accounts.emails import send_link
from vaxelstat.accounts.forms import OrganizationSecurityForm, OrganizationServiceForm, UserForm
from vaxelstat.accounts.models import User
from vaxelstat.orgs.visibility import admin_organization


def administration(request: HttpRequest) -> HttpResponse:
    org = admin_organization(request)
    posted = request.POST if request.method == "POST" else None
    action = request.POST.get("action", "security")
    security = OrganizationSecurityForm(posted if action == "security" else None, instance=org)
    service = OrganizationServiceForm(posted if action == "service" else None, instance=org)
    form = service if action == "service" else security
    if posted is not None and form.is_valid():
        form.save()
        messages.success(request, _("Sparat."))
        return redirect("administration")
    return render(
        request,
        "accounts/administration.html",
        {"org": org, "security_form": security, "service_form": service},
        status=400 if posted is not None else 200,
    )


def users(request: HttpRequest) -> HttpResponse:
    org = admin_organization(request)
    found = User.objects.filter(organization=org).order_by("name", "email")
    text = request.GET.get("filter", "").strip()
    if text:
        found = found.filter(Q(name__icontains=text) | Q(email__icontains=text))
    return render(request, "accounts/users.html", {"org": org, "users": found, "filter": text})


def user_add(request: HttpRequest) -> HttpResponse:
    org = admin_organization(request)
    form = UserForm(request.POST or None, organization=org)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        user.organization = org
        user.set_unusable_password()
        user.save()
        form.save_m2m()
        if form.cleaned_data.get("send_activation"):
            send_link(request, user, "activate")
            messages.success(
                request,
                _("%(email)s har lagts till och fått ett aktiveringsmejl.") % {"email": user.email},
            )
        else:
            messages.success(request, _("%(email)s har lagts till.") % {"email": user.email})
        return redirect("users")
    return render(request, "accounts/user_form.html", {"org": org, "form": form, "new": True})


def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    org = admin_organization(request)
    user = get_object_or_404(User, pk=user_id, organization=org)
    form = UserForm(request.POST or None, instance=user, organization=org)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Sparat."))
        return redirect("users")
    return render(
        request, "accounts/user_form.html", {"org": org, "form": form, "new": False, "edited": user}
    )


def user_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    """Inaktivera: asks first; the user can no longer log in, the account stays."""
    org = admin_organization(request)
    user = get_object_or_404(User, pk=user_id, organization=org)
    if request.method == "POST":
        if user == request.user:
            messages.error(request, _("Du kan inte inaktivera dig själv."))
        else:
            user.is_active = request.POST.get("active") == "1"
            user.save(update_fields=["is_active"])
            done = (
                _("%(email)s har aktiverats.")
                if user.is_active
                else _("%(email)s har inaktiverats.")
            )
            messages.success(request, done % {"email": user.email})
        return redirect("users")
    return render(request, "accounts/user_deactivate.html", {"org": org, "edited": user})


@require_POST
def user_resend(request: HttpRequest, user_id: int) -> HttpResponse:
    org = admin_organization(request)
    user = get_object_or_404(User, pk=user_id, organization=org, is_active=True)
    send_link(request, user, "activate")
    messages.success(
        request, _("Ett nytt aktiveringsmejl har skickats till %(email)s.") % {"email": user.email}
    )
    return redirect("users")
