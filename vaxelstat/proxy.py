"""Behind a reverse proxy (Caddy, nginx): the proxy's addresses are named in
VAXELSTAT_TRUSTED_PROXIES (addresses or networks, comma-separated). A request that comes from
one of them names its client in X-Forwarded-For and its scheme in X-Forwarded-Proto; from any
other address those headers are dropped, so no client can claim another's address or HTTPS."""

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


def networks(text: str) -> list[Network]:
    """'10.0.0.1, 192.168.0.0/16, ::1' as networks; a ValueError names a wrong entry."""
    found = []
    for entry in (e.strip() for e in text.split(",")):
        if entry:
            try:
                found.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"VAXELSTAT_TRUSTED_PROXIES: {entry!r} is no address") from None
    return found


def _trusted(address: str, trusted: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in trusted)


class TrustedProxies:
    """WSGI middleware: REMOTE_ADDR and wsgi.url_scheme as the trusted proxy says."""

    def __init__(self, app: Callable[..., Any], trusted: list[Network]) -> None:
        self.app = app
        self.trusted = trusted

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self.trusted and _trusted(environ.get("REMOTE_ADDR", ""), self.trusted):
            # The client is the last address the chain names that is not a proxy of ours
            # (what stands before it, the client may have written itself).
            chain = [a.strip() for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",")]
            chain = [a for a in chain if a]
            while chain and _trusted(chain[-1], self.trusted):
                chain.pop()
            if chain:
                environ["REMOTE_ADDR"] = chain[-1]
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        else:
            for name in FORWARDED:
                environ.pop(name, None)
        return self.app(environ, start_response)
