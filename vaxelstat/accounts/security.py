"""The login log and the lockout that reads it."""

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone

from vaxelstat.accounts.models import LoginAttempt, User

# Five failed passwords or codes within fifteen minutes lock the e-mail address for the rest
# of those fifteen minutes (a success clears the count).
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
FAILURES = (LoginAttempt.Result.FAILURE, LoginAttempt.Result.CODE_FAILURE)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def client_address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def is_locked(email: str) -> bool:
    """Whether logins with this address (an account's or not) are refused for now."""
    since = timezone.now() - LOCKOUT_WINDOW
    attempts = LoginAttempt.objects.filter(email=email, at__gte=since)
    last_success = (
        attempts.filter(result=LoginAttempt.Result.SUCCESS).order_by("-at").values("at").first()
    )
    if last_success:
        attempts = attempts.filter(at__gt=last_success["at"])
    return attempts.filter(result__in=FAILURES).count() >= LOCKOUT_FAILURES


def record(
    request: HttpRequest,
    email: str,
    result: str,
    method: str = LoginAttempt.Method.PASSWORD,
    user: User | None = None,
) -> None:
    """One line of the login log; the organization of the account named, if there is one."""
    if user is None:
        user = User.objects.filter(email=email).first()
    LoginAttempt.objects.create(
        email=email[:254],
        address=client_address(request),
        result=result,
        method=method,
        user=user,
        organization=user.organization if user else None,
    )
