"""The call specification as the guide shows it (SPEC §6): numbers with the names of the
objects they are, "Dolt nummer", the guide's words for the sources' notes, blank where there is
nothing, and text filters that find a name (Användare, Grupp, Gruppsamtal från, …)."""

from pathlib import Path

import pytest
from django.utils import translation
from test_accounts import logged_in

from vaxelstat.accounts.models import User
from vaxelstat.calls.scope import Scope
from vaxelstat.ingest.parsers.canonical_csv import COLUMNS
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint
from vaxelstat.reports.engine import find_objects
from vaxelstat.reports.period import Period
from vaxelstat.reports.specification import Directory, Filters, shown, specification

DAY = "2026-11-16"
# Anna (1001) and Bert (1002), the group Växel (400) and the menu Huvudmeny (ivr-1).
LEGS = [
    # A caller who hid their number, through the group, answered by Anna.
    dict(
        n=1,
        kind="user",
        number="1001",
        name="Anna",
        type="in_answered",
        group_from="400",
        wait_s=5,
        talk_s=60,
    ),
    # Anna did not answer: the caller left a message in her mailbox.
    dict(
        n=2,
        kind="user",
        number="1001",
        name="Anna",
        type="in_voicemail",
        from_number="0701",
        to_number="1001",
        forwarded_to="voicemail 1001",
        note="voicemail",
    ),
    # Through the menu to Bert, whose phone rang 12 s before Anna picked the call up.
    dict(
        n=3,
        kind="user",
        number="1002",
        name="Bert",
        type="in_no_answer",
        from_number="0702",
        from_name="Carl",
        forwarded_from="ivr-1",
        wait_s=12,
        note="picked up by 1001",
    ),
    # Bert called out and nobody answered.
    dict(
        n=4,
        kind="user",
        number="1002",
        name="Bert",
        type="out_unanswered",
        direction="out",
        from_number="1002",
        to_number="0703",
        wait_s=20,
    ),
    dict(
        n=5,
        kind="acd",
        number="400",
        name="Växel",
        type="answered",
        member_number="1001",
        wait_s=3,
        talk_s=30,
    ),
    dict(
        n=6,
        kind="acd",
        number="400",
        name="Växel",
        type="forwarded",
        forwarded_to="1002",
        note="timeout",
        wait_s=40,
    ),
    dict(
        n=7,
        kind="ivr",
        number="ivr-1",
        name="Huvudmeny",
        type="connected",
        note="key 1",
        forwarded_to="400",
    ),
]


def row(leg: dict) -> str:
    values = {
        "call_id": f"c{leg['n']}",
        "leg_id": f"l{leg['n']}",
        "object_kind": leg["kind"],
        "object_number": leg["number"],
        "object_name": leg["name"],
        "start": f"{DAY}T08:{leg['n']:02d}:00+01:00",
        "direction": leg.get("direction", "in"),
        "internal": "false",
        **{k: str(v) for k, v in leg.items() if k in COLUMNS},
    }
    values["type"] = leg["type"]
    return ",".join(values.get(c, "") for c in COLUMNS)


@pytest.fixture
def loaded(org, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "legs.csv"
    path.write_text(",".join(COLUMNS) + "\n" + "\n".join(row(leg) for leg in LEGS) + "\n")
    point = CollectionPoint.objects.create(organization=org, name="csv", format="csv")
    assert import_file(org, point, "csv", path).rejects == []
    return org


def calls(org, kind: str, report: str, **text: str) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """The calls of the specification by leg, with what the page shows of each."""
    period = Period.parse(org.timezone, DAY, DAY, None, "day")
    spec = specification(
        org,
        report,
        find_objects(org, kind, "all"),
        period,
        Filters(text=text),
        scope=Scope.whole(org.id),
    )
    directory = Directory.of(org)
    return {c["leg_id"].removeprefix("csv:"): shown(c, directory) for c in spec.calls}


def test_the_specification_shows_names_words_and_blanks(engine, loaded) -> None:
    users = calls(loaded, "user", "user.incoming") | calls(loaded, "user", "user.outgoing")
    assert users["l1"]["from"] == "Dolt nummer"
    assert users["l1"]["group_from"] == "400 Växel"
    assert users["l1"]["object"] == "1001 Anna"
    assert (users["l1"]["wait"], users["l1"]["talk"]) == ("00:00:05", "00:01:00")
    assert users["l2"]["forwarded_to"] == "Röstbrevlåda 1001 Anna"
    assert users["l2"]["note"] == "Röstbrevlåda"
    # Till is the number the user called: an incoming call's own number is not repeated.
    assert users["l2"]["to"] == ""
    # Unanswered: no talk, and no Kötid where there was no wait.
    assert (users["l2"]["wait"], users["l2"]["talk"]) == ("", "")
    assert users["l3"]["from"] == "0702 Carl"
    assert users["l3"]["forwarded_from"] == "Huvudmeny"
    assert users["l3"]["note"] == "Plockat av 1001 Anna"
    assert (users["l3"]["wait"], users["l3"]["talk"]) == ("00:00:12", "")
    # An outgoing call's caller is the user: nobody hid a number.
    assert users["l4"]["to"] == "0703" and users["l4"]["from"] == "1002"
    groups = calls(loaded, "acd", "acd.incoming")
    assert groups["l5"]["member"] == "1001 Anna"
    assert groups["l5"]["from"] == "Dolt nummer"
    assert (groups["l6"]["forwarded_to"], groups["l6"]["note"]) == ("1002 Bert", "Failback")
    menus = calls(loaded, "ivr", "ivr.handled")
    assert (menus["l7"]["note"], menus["l7"]["forwarded_to"]) == ("Knappval 1", "400 Växel")
    # A menu by its name: its number is the switchboard's own id.
    assert menus["l7"]["object"] == "Huvudmeny"


def test_the_words_are_english_for_an_english_reader(engine, loaded) -> None:
    with translation.override("en"):
        users = calls(loaded, "user", "user.incoming")
        groups = calls(loaded, "acd", "acd.incoming")
    assert users["l1"]["from"] == "Hidden number"
    assert users["l2"]["forwarded_to"] == "Voicemail 1001 Anna"
    assert users["l3"]["note"] == "Picked up by 1001 Anna"
    assert groups["l6"]["note"] == "Failback"


def test_a_text_filter_finds_a_name_as_well_as_a_number(engine, loaded) -> None:
    def found(kind: str, report: str, **text: str) -> set[str]:
        return set(calls(loaded, kind, report, **text))

    assert found("user", "user.incoming", group_from="växel") == {"l1"}
    assert found("user", "user.incoming", group_from="400") == {"l1"}
    assert found("user", "user.incoming", object="ANNA") == {"l1", "l2"}
    assert found("user", "user.incoming", object="1002") == {"l3"}
    assert found("user", "user.incoming", object="nobody") == set()
    assert found("user", "user.incoming", forwarded_from="huvud") == {"l3"}
    assert found("user", "user.incoming", forwarded_to="röstbrev") == {"l2"}
    assert found("user", "user.outgoing", to="0703") == {"l4"}
    assert found("acd", "acd.incoming", member="anna") == {"l5"}
    assert found("acd", "acd.incoming", forwarded_to="bert") == {"l6"}
    assert found("acd", "acd.incoming", object="växel") == {"l5", "l6"}
    assert found("ivr", "ivr.handled", forwarded_to="växel") == {"l7"}


def test_the_page_shows_the_words_and_has_the_guides_filters(loaded) -> None:
    user = User.objects.create_user(
        "anna@acme.example",
        "Anna-lösen-2026",
        name="Anna",
        organization=loaded,
        is_org_admin=True,
    )
    client = logged_in(user)
    users = [o.id for o in find_objects(loaded, "user", "all")]
    asked = {"report": "user.incoming", "from": DAY, "to": DAY, "o": users}
    page = client.get("/basrapporter/samtal/", asked).content.decode()
    for text in (
        "<td>Dolt nummer</td>",
        "<td>Röstbrevlåda 1001 Anna</td>",
        "<td>Huvudmeny</td>",
        "<td>400 Växel</td>",
        'name="f_object"',
        'name="f_group_from"',
        'name="f_to"',
    ):
        assert text in page, text
    # Unanswered: a blank Samtalslängd, not 00:00:00.
    assert "00:00:00" not in page
    named = client.get("/basrapporter/samtal/", {**asked, "f_group_from": "Växel"})
    assert named.content.decode().count("<td>Ink. besvarat</td>") == 1
    groups = [o.id for o in find_objects(loaded, "acd", "all")]
    page = client.get(
        "/basrapporter/samtal/", {**asked, "report": "acd.incoming", "o": groups}
    ).content.decode()
    assert 'name="f_object"' in page and 'name="f_member"' in page
    assert "<td>1001 Anna</td>" in page and "<td>Failback</td>" in page
