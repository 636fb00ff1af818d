"""Logging in (with a code by e-mail where two-factor is on), activation and reset links,
Mitt konto and the login log."""

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_email.models import EmailDevice

from vaxelstat.accounts import security
from vaxelstat.accounts.emails import send_link
from vaxelstat.accounts.forms import (
    AccountForm,
    ChangePasswordForm,
    CodeForm,
    EmailForm,
    LoginForm,
    NewPasswordForm,
    TwoFactorForm,
)
from vaxelstat.accounts.models import LoginAttempt, User
from vaxelstat.accounts.tokens import TOKENS, LinkState, link_state
from vaxelstat.limits import per_address, usage
from vaxelstat.params import whole
from vaxelstat.reports.period import day_start, read_day

Result, Method = LoginAttempt.Result, LoginAttempt.Method

# Where each start page choice lands (URL names).
START_PAGES: dict[str, str] = {
    User.StartPage.START: "start",
    User.StartPage.DASHBOARD: "dashboard",
    User.StartPage.REPORTS: "reports",
    User.StartPage.ACCOUNT: "account",
}
LOCKED = gettext_lazy(
    "För många misslyckade inloggningar. Inloggningen är spärrad i 15 minuter; "
    "försök igen senare eller välj Glömt lösenord."
)
WRONG = gettext_lazy("Fel e-post eller lösenord. Försök igen.")
# A code is asked for within 15 minutes of the password, and five wrong codes end the try.
PENDING_FOR = timedelta(minutes=15)
CODE_ATTEMPTS = 5

# Login attempts per page of Logs.
LOG_PAGE = 100


def needs_code(user: User) -> bool:
    org = user.organization
    return user.two_factor or bool(org and org.require_two_factor)


def _landing(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect(start_page_url(user))


def _device(user: User) -> EmailDevice:
    device, _ = EmailDevice.objects.get_or_create(
        user=user, name="e-post", defaults={"confirmed": True}
    )
    return device


def send_code(device: EmailDevice, user: User) -> None:
    """E-mail a new code, in the user's language."""
    with translation.override(user.language):
        device.generate_challenge()


@per_address("login")
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("start")
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next", "")
    error = ""
    if request.method == "POST" and form.is_valid():
        email = security.normalize_email(form.cleaned_data["email"])
        if security.is_locked(email):
            security.record(request, email, Result.LOCKED)
            error = str(LOCKED)
        else:
            user = authenticate(request, username=email, password=form.cleaned_data["password"])
            if not isinstance(user, User):
                security.record(request, email, Result.FAILURE)
                error = str(LOCKED if security.is_locked(email) else WRONG)
            elif needs_code(user):
                device = _device(user)
                # A password just proved is worth a fresh code; the cooldown is for resends.
                device.cooldown_reset(commit=False)
                send_code(device, user)
                request.session["pending_login"] = {
                    "user": user.pk,
                    "at": timezone.now().isoformat(),
                    "failures": 0,
                    "next": next_url,
                }
                security.record(request, email, Result.CODE_SENT, Method.EMAIL_CODE, user)
                return redirect("login-code")
            else:
                login(request, user)
                security.record(request, email, Result.SUCCESS, Method.PASSWORD, user)
                return _landing(request, user, next_url)
    return render(
        request,
        "accounts/login.html",
        {"form": form, "error": error, "next": next_url},
        status=400 if error else 200,
    )


def _pending_user(request: HttpRequest) -> tuple[dict, User] | None:
    pending = request.session.get("pending_login")
    if not pending:
        return None
    started = datetime.fromisoformat(pending["at"])
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None or timezone.now() - started > PENDING_FOR:
        request.session.pop("pending_login", None)
        return None
    return pending, user


@per_address("code")
def code_view(request: HttpRequest) -> HttpResponse:
    """Ytterligare verifikation krävs: the code sent by e-mail."""
    found = _pending_user(request)
    if found is None:
        messages.error(request, _("Inloggningen har gått ut. Logga in igen."))
        return redirect("login")
    pending, user = found
    device = _device(user)
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].strip()
        if security.is_locked(user.email):
            security.record(request, user.email, Result.LOCKED, Method.EMAIL_CODE, user)
            request.session.pop("pending_login", None)
            messages.error(request, LOCKED)
            return redirect("login")
        if device.valid_until is None or device.valid_until < timezone.now() or not device.token:
            security.record(request, user.email, Result.CODE_EXPIRED, Method.EMAIL_CODE, user)
            error = _("Koden har gått ut. Klicka på Skicka ny kod.")
        elif not device.verify_is_allowed()[0]:
            error = _("Vänta några sekunder och försök sedan igen.")
        elif device.verify_token(code):
            request.session.pop("pending_login", None)
            login(request, user)
            security.record(request, user.email, Result.SUCCESS, Method.EMAIL_CODE, user)
            return _landing(request, user, pending.get("next", ""))
        else:
            security.record(request, user.email, Result.CODE_FAILURE, Method.EMAIL_CODE, user)
            pending["failures"] += 1
            request.session["pending_login"] = pending
            if pending["failures"] >= CODE_ATTEMPTS:
                device.token = None
                device.save(update_fields=["token"])
                request.session.pop("pending_login", None)
                messages.error(request, _("För många felaktiga koder. Logga in igen."))
                return redirect("login")
            error = _("Fel kod. Kontrollera koden i e-postmeddelandet och försök igen.")
    return render(
        request,
        "accounts/code.html",
        {"form": form, "error": error},
        status=400 if error else 200,
    )


@require_POST
@per_address("code")
def resend_code(request: HttpRequest) -> HttpResponse:
    found = _pending_user(request)
    if found is None:
        messages.error(request, _("Inloggningen har gått ut. Logga in igen."))
        return redirect("login")
    user = found[1]
    device = _device(user)
    if device.generate_is_allowed()[0]:
        send_code(device, user)
        security.record(request, user.email, Result.CODE_SENT, Method.EMAIL_CODE, user)
        messages.info(request, _("En ny kod har skickats till din e-post."))
    else:
        messages.error(request, _("Vänta en minut innan du ber om en ny kod."))
    return redirect("login-code")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


@per_address("activation", ("GET", "POST"))
def set_password(request: HttpRequest, purpose: str, uidb64: str, token: str) -> HttpResponse:
    """Verifiera ditt konto (purpose "activate") or a password reset: choose a password."""
    if purpose not in TOKENS:
        raise Http404
    try:
        user = User.objects.filter(pk=int(force_str(urlsafe_base64_decode(uidb64)))).first()
    except (TypeError, ValueError, OverflowError):
        user = None
    state = link_state(TOKENS[purpose], user, token)
    if state is not LinkState.VALID or user is None:
        return render(request, "accounts/link_invalid.html", {"state": state}, status=400)
    form = NewPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Ditt lösenord är sparat. Logga in med det."))
        return redirect("login")
    return render(request, "accounts/set_password.html", {"form": form, "purpose": purpose})


@per_address("reset")
def reset_request(request: HttpRequest) -> HttpResponse:
    """Glömt lösenord: the same answer whether or not the address has an account, in the
    same time (the mail is sent after the answer), and no more than a few mails an hour to
    one address."""
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = security.normalize_email(form.cleaned_data["email"])
        user = User.objects.filter(email=email, is_active=True).first()
        if user is not None and not usage(request, "reset-address", email)["should_limit"]:
            send_link(request, user, "reset", later=True)
        messages.info(
            request,
            _("Om adressen hör till ett konto har vi skickat en länk för att välja nytt lösenord."),
        )
        return redirect("login")
    return render(request, "accounts/reset_request.html", {"form": form})


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """Mitt konto: password, two-factor, start page and language."""
    user = request.user
    assert isinstance(user, User)
    action = request.POST.get("action") if request.method == "POST" else None
    forms: dict[str, ChangePasswordForm | TwoFactorForm | AccountForm] = {
        "password": ChangePasswordForm(user, request.POST if action == "password" else None),
        "two_factor": TwoFactorForm(
            request.POST if action == "two_factor" else None, instance=user
        ),
        "settings": AccountForm(request.POST if action == "settings" else None, instance=user),
    }
    if action in forms and forms[action].is_valid():
        forms[action].save()
        if action == "password":
            update_session_auth_hash(request, user)
        messages.success(request, _("Sparat."))
        return redirect("account")
    org = user.organization
    return render(
        request,
        "accounts/account.html",
        {
            **{f"{name}_form": form for name, form in forms.items()},
            "required_by_org": bool(org and org.require_two_factor),
        },
    )


@login_required
def logs(request: HttpRequest) -> HttpResponse:
    """Logs: every login attempt, the latest first, LOG_PAGE at a time; an organization's
    admins see its own, operators all. Filtered by the days (the organization's local dates),
    a part of the e-mail address, and the result."""
    user = request.user
    assert isinstance(user, User)
    attempts = LoginAttempt.objects.select_related("organization")
    if not user.is_superuser:
        if not user.is_org_admin or user.organization is None:
            raise Http404
        attempts = attempts.filter(organization=user.organization)
    params = request.GET
    tz = user.organization.tzinfo if user.organization else timezone.get_default_timezone()
    first, last = read_day(params.get("from")), read_day(params.get("to"))
    # (No NUL: PostgreSQL takes none in a text.)
    email = params.get("email", "").replace("\x00", "").strip()[:254]
    result = params.get("result", "")
    result = result if result in LoginAttempt.Result.values else ""
    if first:
        attempts = attempts.filter(at__gte=day_start(first, tz))
    if last:
        attempts = attempts.filter(at__lt=day_start(last + timedelta(days=1), tz))
    if email:
        attempts = attempts.filter(email__icontains=email)
    if result:
        attempts = attempts.filter(result=result)
    wanted = {"from": first, "to": last, "email": email, "result": result}
    pages = Paginator(attempts.order_by("-at", "-id"), LOG_PAGE)
    page = pages.get_page(whole(params.get("page"), 1, pages.num_pages) or 1)
    kept = {k: v for k, v in params.items() if k != "page" and v}

    def link(number: int) -> str:
        return "?" + urlencode({**kept, "page": number})

    return render(
        request,
        "accounts/logs.html",
        {
            "page": page,
            "wanted": wanted,
            "results": LoginAttempt.Result.choices,
            "previous": link(page.number - 1) if page.has_previous() else "",
            "next": link(page.number + 1) if page.has_next() else "",
        },
    )


# The module a start page belongs to, where it belongs to one.
START_PAGE_MODULES: dict[str, str] = {
    User.StartPage.DASHBOARD: "dashboard",
    User.StartPage.REPORTS: "reports",
}


def start_page_url(user: User) -> str:
    """The start page the user chose, or Start if its module is not among the user's."""
    if not user.may_open(START_PAGE_MODULES.get(user.start_page)):
        return reverse("start")
    return reverse(START_PAGES.get(user.start_page, "start"))
