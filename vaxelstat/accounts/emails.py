"""The messages the service sends: activation, password reset."""

import logging
import threading

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

log = logging.getLogger(__name__)


def send_link(request: HttpRequest, user: User, purpose: str, later: bool = False) -> None:
    """E-mail the user a one-time link to set a password: to activate the account, or reset.
    `later`: the mail is handed to the server after the answer (a thread of its own), so the
    answer takes as long whether or not a mail goes out."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = TOKENS[purpose].make_token(user)
    link = request.build_absolute_uri(reverse("set-password", args=[purpose, uid, token]))
    with translation.override(user.language):
        body = render_to_string(f"accounts/email/{purpose}.txt", {"user": user, "link": link})
        subject = str(SUBJECTS[purpose])
    if later:
        threading.Thread(
            target=_send_quietly, args=(subject, body, user.email), name="mail", daemon=True
        ).start()
    else:
        send_mail(subject, body, None, [user.email])


def _send_quietly(subject: str, body: str, to: str) -> None:
    try:
        send_mail(subject, body, None, [to])
    except Exception:
        log.exception("a mail to %s could not be sent", to)
