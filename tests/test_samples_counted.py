"""Every real sample in ../shared/samples, counted by kind and type of leg against figures
worked out by reading its raw rows (by people who did not read this code; their readings of
the ambiguous ones are in docs/samples.md). A sample the product does not yet read right is
marked, with why, and must keep failing until it does."""

import csv
from collections import Counter
from pathlib import Path

import pytest
from samples import SAMPLES, needs_samples

from vaxelstat.ingest.parsers import PARSERS
from vaxelstat.ingest.parsers.base import SourceSettings

pytestmark = needs_samples

READINGS = Path(__file__).parent / "readings"
CDR = "asterisk-cdr"
WAZO = "asterisk-queue_log/wazo-xivo-doc"

# (name, format, files, the collection point's settings, its time zone, legs by kind and type,
#  why the product does not yet give them, if it does not)
CASES = [
    (
        "KelySaina cdr_custom",
        CDR,
        [f"{CDR}/KelySaina_cdr_Master.csv"],
        {"extensions": ["client1", "client2"], "inbound_contexts": []},
        "Indian/Antananarivo",
        {
            ("user", "in_answered"): 11,
            ("user", "in_no_answer"): 3,
            ("user", "out_answered"): 11,
            ("user", "out_unanswered"): 3,
        },
        None,
    ),
    (
        "mineevburyat 21 columns",
        CDR,
        [f"{CDR}/mineevburyat_dj-asterisk-cdr_Master.csv"],
        {
            "trunk_peers": ["211474", "211553", "stadionpbx"],
            "extensions": ["301"],
            "inbound_contexts": ["stadion-pstn"],
        },
        "UTC",
        {("user", "in_answered"): 19, ("user", "in_no_answer"): 9},
        None,
    ),
    (
        "BugaDM Asterisk 11",
        CDR,
        [f"{CDR}/BugaDM_TelephonySwitching_Master.csv"],
        {"extension_pattern": "1[01][0-9]", "ivr_contexts": ["menu"], "inbound_contexts": []},
        "UTC",
        {
            ("user", "in_answered"): 7,
            ("user", "in_no_answer"): 3,
            ("user", "in_busy"): 2,
            ("user", "in_voicemail"): 6,
            ("user", "in_forwarded"): 1,
            ("user", "out_answered"): 77,
            ("user", "out_unanswered"): 23,
            ("ivr", "connected"): 15,
            ("ivr", "not_connected"): 10,
        },
        None,
    ),
    (
        "simularent",
        CDR,
        [f"{CDR}/simularent_asterisk-for-speech-to-text_Master.csv"],
        {
            "trunk_peers": ["sipus1", "sipus2"],
            "extensions": ["1500", "jerbeartest", "123654987", "1234"],
            # The four are its phones and no other number is one (1001, 200, 714 are services
            # of its dialplan): no pattern adds any.
            "extension_pattern": "",
            "inbound_contexts": ["public", "from-trunk"],
        },
        "UTC",
        {
            ("user", "in_voicemail"): 3,
            ("user", "out_answered"): 25,
            ("user", "out_unanswered"): 13,
        },
        None,
    ),
    (
        "PBXware queue_log",
        "asterisk-queue-log",
        ["pbxware-asterisk-db-export/queue_log.csv"],
        {},
        "America/New_York",
        {
            ("acd", "answered"): 93,
            ("acd", "abandoned"): 12,
            ("acd", "forwarded"): 1,
            ("user", "in_answered"): 93,
            ("user", "in_no_answer"): 117,
        },
        None,
    ),
    (
        "Wazo queue_log documentation",
        "asterisk-queue-log",
        [
            f"{WAZO}/0{n}_{name}.psv"
            for n, name in (
                (1, "agent_callback_login"),
                (2, "agent_callback_logoff"),
                (3, "call_on_a_queue_with_join_empty_conditions_met"),
                (4, "enter_the_queue_and_get_answered_by_an_agent"),
                (5, "agent_or_caller_ends_the_call_after_12_seconds"),
                (6, "call_on_a_full_queue"),
                (7, "call_on_a_closed_queue"),
                (8, "caller_abandon_before_an_answer"),
            )
        ],
        {"extension_pattern": r"1\d{3}"},
        "America/Montreal",
        # docs/samples.md: refused at the door (JOINEMPTY, FULL, CLOSED) is Ingen ledig; an
        # ending without its ENTERQUEUE is kept as a rejected record, not guessed into a call.
        {("acd", "no_agent"): 3, ("acd", "answered"): 1, ("user", "in_answered"): 1},
        None,
    ),
    (
        "PBXware cdr",
        CDR,
        ["pbxware-asterisk-db-export/cdr.csv"],
        {
            "inbound_contexts": ["VIOrig"],
            # aa.csv: the auto attendant 6000; the AGI names it in the userfield.
            "ivr_numbers": ["6000"],
            # pbxware_groups.csv: its ring groups.
            "group_numbers": ["1000", "6002", "6003", "6004"],
            "voicemail_contexts": ["voicemail-op"],
            # gloCOM's pickup requests and access codes: no calls.
            "feature_contexts": ["stasis-local-dial", "glocom-access-code"],
            # The users' extensions; 1000, 2000-2004 and 6000-6003 are groups, queues,
            # mailboxes and the IVR (pbxware_groups.csv, queues.csv, aa.csv).
            "extension_pattern": r"1[1-9]\d\d|2[1-9]\d\d|[357]\d{3}",
        },
        "America/New_York",
        "pbxware-cdr.csv",
        None,
    ),
    (
        "BroadWorks, the Evolve IP derivative",
        "broadworks",
        ["broadworks-cdr/vivekvedant_CDR-Analysis_Call_data_head6000.csv"],
        {},
        "UTC",
        "broadworks-evolveip.csv",
        None,
    ),
    (
        "BroadWorks, one raw record",
        "broadworks",
        ["broadworks-cdr/han-hgu_perf-prototype_doc.go_raw_fields.reserialized.csv"],
        {},
        "UTC",
        {("user", "in_forwarded"): 1},
        None,
    ),
    (
        "FreeSWITCH CSV, a spreadsheet's copy",
        "freeswitch-csv",
        ["freeswitch-cdr/Kxingyunliushui_freeswitch_tools_Master.csv"],
        {},
        "Asia/Shanghai",
        {("user", "in_answered"): 7, ("user", "in_no_answer"): 1, ("user", "out_answered"): 1},
        None,
    ),
    (
        "FreeSWITCH CSV, mod_callcenter",
        "freeswitch-csv",
        ["freeswitch-cdr/raspberry-pi-maker_cdr_callcenter_md_Master.csv"],
        # The stock template has no cc_ variables: the article says 3000 is the queue.
        {"queue_numbers": ["3000"]},
        "UTC",
        {("acd", "answered"): 1, ("user", "in_answered"): 1},
        None,
    ),
    (
        "FreeSWITCH JSON, cgrates jsoncdr",
        "freeswitch-json",
        ["freeswitch-cdr/cgrates_agents_fsevent_test_jsoncdr_1.json"],
        {},
        "UTC",
        {("user", "out_answered"): 1, ("user", "in_answered"): 1},
        None,
    ),
    (
        "FreeSWITCH JSON, cgrates body",
        "freeswitch-json",
        ["freeswitch-cdr/cgrates_fscdr_test_body.json"],
        {},
        "UTC",
        {("user", "out_answered"): 1, ("user", "in_answered"): 1},
        None,
    ),
    (
        "FreeSWITCH ESL CHANNEL_HANGUP_COMPLETE",
        "freeswitch-json",
        ["freeswitch-cdr/cgrates_agents_fsevent_test_CHANNEL_HANGUP_COMPLETE.esl.txt"],
        {},
        "UTC",
        {("user", "out_answered"): 1, ("user", "in_answered"): 1},
        None,
    ),
]


def _case(case: tuple) -> object:  # type: ignore[type-arg]
    name, *_, wrong = case
    marks = [pytest.mark.xfail(reason=wrong, strict=True)] if wrong else []
    return pytest.param(case, id=name, marks=marks)


def _reading(expected: dict[tuple[str, str], int] | str) -> dict[tuple[str, str], int]:
    """The figures: as written in the case, or the totals of a reading record by record
    (tests/readings/: the line of each leg, its kind and type, and the reader's rule; no
    data of the sample's own)."""
    if isinstance(expected, dict):
        return expected
    with open(READINGS / expected, encoding="utf-8") as f:
        return dict(Counter((row["kind"], row["type"]) for row in csv.DictReader(f)))


@pytest.mark.parametrize("case", [_case(c) for c in CASES])
def test_the_sample_gives_the_legs_counted_from_its_rows(case: tuple) -> None:  # type: ignore[type-arg]
    _name, fmt, files, point_settings, timezone, figures, _wrong = case
    expected = _reading(figures)
    settings = SourceSettings.from_dict(point_settings, timezone)
    counted: Counter[tuple[str, str]] = Counter()
    for name in files:
        result = PARSERS[fmt].parse(SAMPLES / name, settings)
        # (The agents' time is no call: its seconds are counted in test_agents.)
        counted.update(
            (leg.object_kind, leg.type) for leg in result.legs if leg.direction != "agent"
        )
    assert dict(counted) == expected


def test_every_sample_of_a_format_we_read_is_counted() -> None:
    read = {"asterisk-cdr", "asterisk-queue_log", "pbxware-asterisk-db-export"}
    read |= {"broadworks-cdr", "freeswitch-cdr"}
    counted = {Path(f).parts[0] for case in CASES for f in case[2]}
    samples = {p.name for p in SAMPLES.iterdir() if p.is_dir()}
    # CEL is a format we do not read yet (no parser): its samples wait for one.
    assert samples - {"asterisk-cel"} == read
    for name in counted:
        assert name in read
    every_file = {
        str(p.relative_to(SAMPLES))
        for folder in read
        for p in (SAMPLES / folder).rglob("*")
        if p.is_file() and p.suffix in (".csv", ".psv", ".json", ".txt")
    }
    config_tables = {
        f"pbxware-asterisk-db-export/{n}.csv"
        for n in ("aa", "dids", "pause_reasons", "pbxware_groups", "queues")
    }
    listed = {f for case in CASES for f in case[2]}
    # The raw record's JSON twin is the same record (the CSV is counted).
    twin = "broadworks-cdr/han-hgu_perf-prototype_doc.go_raw_fields.json"
    assert every_file - config_tables - {twin} == listed


def test_an_answered_bridged_call_in_an_esl_event_is_answered_for_both() -> None:
    """The event's last application is sched_hangup, not bridge; the channel was bridged to
    1003 (bridge_uuid, bridge_epoch) and answered at once: 66 s of talk, by the rows."""
    result = PARSERS["freeswitch-json"].parse(
        SAMPLES / "freeswitch-cdr" / "cgrates_agents_fsevent_test_CHANNEL_HANGUP_COMPLETE.esl.txt",
        SourceSettings.from_dict({}, "UTC"),
    )
    legs = {(leg.object_number, leg.type, leg.wait_s, leg.talk_s) for leg in result.legs}
    assert legs == {("1001", "out_answered", 0, 66), ("1003", "in_answered", 0, 66)}
