"""The mailer from VAXELSTAT_SMTP_URL: no Django imports, settings read it at start."""

from typing import Any
from urllib.parse import unquote, urlparse


def mailer_from_url(url: str) -> dict[str, Any]:
    """A MAILERS entry: SMTP for smtp:// (smtps:// with TLS, smtp+starttls:// with STARTTLS),
    the console for an empty URL."""
    if not url:
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parts = urlparse(url)
    if parts.scheme not in {"smtp", "smtps", "smtp+starttls"}:
        raise ValueError(
            f"VAXELSTAT_SMTP_URL: {parts.scheme}:// is not smtp://, smtps:// or smtp+starttls://"
        )
    options: dict[str, Any] = {
        "host": parts.hostname or "localhost",
        "use_ssl": parts.scheme == "smtps",
        "use_tls": parts.scheme == "smtp+starttls",
        "timeout": 20,
    }
    if parts.port:
        options["port"] = parts.port
    if parts.username:
        options["username"] = unquote(parts.username)
        options["password"] = unquote(parts.password or "")
    return {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}
