"""The messages the service sends: activation, password reset."""

from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy

from vaxelstat.accounts.models import User
from vaxelstat.accounts.tokens import TOKENS

SUBJECTS = {
    "activate": gettext_lazy("Verifiera ditt konto – Växelstatistik"),
    "reset": gettext_lazy("Välj ett nytt lösenord – Växelstatistik"),
}


def send_link(request: HttpRequest, user: User, purpose: str) -> None:
    """E-mail the user a one-time link to set a password: to activate the account, or reset."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = TOKENS[purpose].make_token(user)
    link = request.build_absolute_uri(reverse("set-password", args=[purpose, uid, token]))
    with translation.override(user.language):
        body = render_to_string(f"accounts/email/{purpose}.txt", {"user": user, "link": link})
        send_mail(str(SUBJECTS[purpose]), body, None, [user.email])
