"""Rate limits: past its limit a client gets 429 with Retry-After, on the API (per key, and
for wrong keys per client address) and on the login, code, reset and activation pages (per
client address); reset mails to one address are few, whoever asks."""

import time
from types import SimpleNamespace

import pytest
from django.test import Client
from test_accounts import log_in
from test_api import DAY, get, key_of

from vaxelstat.limits import RATES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def still_clock(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The counters' windows are fixed stretches of the clock: a test that crossed into the
    next window would count from zero again. The clock stands still for the limiter."""
    import django_ratelimit.core

    now = int(time.time())
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))


@pytest.mark.slow
def test_the_api_answers_429_past_a_keys_limit(world) -> None:  # type: ignore[no-untyped-def]
    key = key_of(world.alice)
    count, seconds = RATES["api"]
    answers = [get(key, "/reports").status_code for _ in range(count)]
    assert set(answers) == {200}
    refused = get(key, "/reports")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= seconds
    assert "too many" in refused.json()["error"]
    # Another user's key is counted on its own.
    assert get(key_of(world.charlie), "/reports").status_code == 200


def test_wrong_api_keys_from_one_address_are_refused_past_their_limit(world) -> None:  # type: ignore[no-untyped-def]
    count, _ = RATES["api-auth"]
    assert {get("vx_wrong", "/reports").status_code for _ in range(count)} == {401}
    refused = get("vx_wrong", "/reports")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    # Even a right key waits: the address guessed.
    assert get(key_of(world.alice), "/reports", **DAY).status_code == 429


def test_the_login_answers_429_past_its_limit(world) -> None:  # type: ignore[no-untyped-def]
    count, seconds = RATES["login"]
    client = Client()
    for n in range(count):
        # Other addresses each time: the lockout per e-mail address is another rule.
        assert log_in(client, f"nobody{n}@a.example", "fel").status_code == 400
    refused = log_in(client, "alice@a.example", "Alice-lösen-2026")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= seconds
    assert "För många förfrågningar" in refused.content.decode()
    # Reading the page is no attempt.
    assert client.get("/login/").status_code == 200


def test_reset_requests_and_mails_are_bounded(world, smtp) -> None:  # type: ignore[no-untyped-def]
    mails, _ = RATES["reset-address"]
    count, _ = RATES["reset"]
    answers = [
        Client().post("/glomt-losenord/", {"email": "alice@a.example"}).status_code
        for _ in range(count)
    ]
    assert set(answers) == {302}  # the same answer each time
    smtp.last_to("alice@a.example")
    time.sleep(0.5)
    assert len(smtp.to("alice@a.example")) == mails
    assert Client().post("/glomt-losenord/", {"email": "x@a.example"}).status_code == 429


def test_activation_links_are_bounded_per_address() -> None:
    count, _ = RATES["activation"]
    client = Client()
    for _ in range(count):
        assert client.get("/konto/losenord/reset/MQ/fel-token/").status_code == 400
    assert client.get("/konto/losenord/reset/MQ/fel-token/").status_code == 429
