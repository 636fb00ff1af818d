"""Importing files: the pipeline, its de-duplication, and the command's exit codes."""

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vaxelstat.bench import _where_it_went
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.demo import switchboard as sb
from vaxelstat.demo.asterisk_writer import write_master_csv, write_queue_log
from vaxelstat.demo.simulator import simulate
from vaxelstat.ingest.models import ImportRun, RejectedRecord
from vaxelstat.ingest.pipeline import collection_point_for, import_file
from vaxelstat.orgs.models import CollectionPoint, GroupMembership, MeasuredObject

T = 1700000000
GOOD = f"{T}|a|400|NONE|ENTERQUEUE||0701|1\n{T + 9}|a|400|NONE|ABANDON|1|1|9\n"


def run_import(*args: str) -> int:
    try:
        call_command("import", *args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_a_good_file_imports_and_a_second_import_adds_nothing(org, tmp_path: Path, capsys) -> None:
    path = tmp_path / "queue_log"
    path.write_text(GOOD)
    assert run_import("--org", "acme", "--format", "asterisk-queue-log", str(path)) == 0
    assert (
        f"{path}: read 2, imported 1, duplicates 0, calls replaced 0, rejected 0"
        in capsys.readouterr().out
    )
    assert run_import("--org", "acme", "--format", "asterisk-queue-log", str(path)) == 0
    assert (
        f"{path}: read 2, imported 0, duplicates 1, calls replaced 0, rejected 0"
        in capsys.readouterr().out
    )
    assert get_store().count(Scope.whole(org.id)) == 1
    assert ImportRun.objects.filter(organization=org).count() == 2


def test_bad_lines_are_named_and_the_good_ones_imported(org, tmp_path: Path, capsys) -> None:
    path = tmp_path / "queue_log"
    path.write_text(GOOD + "garbage\n")
    assert run_import("--org", "acme", "--format", "asterisk-queue-log", str(path)) == 3
    captured = capsys.readouterr()
    assert f"{path}:3: malformed: fewer than 5 fields" in captured.err
    assert get_store().count(Scope.whole(org.id)) == 1
    reject = RejectedRecord.objects.get(organization=org)
    assert (reject.line, reject.reason, reject.raw) == (3, "malformed", "garbage")
    run = ImportRun.objects.get(organization=org)
    assert (run.lines_read, run.legs_imported, run.rejected, run.rejected_by_reason) == (
        3,
        1,
        1,
        {"malformed": 1},
    )
    # Importing it again stores nothing twice: no legs, no rejected records.
    assert run_import("--org", "acme", "--format", "asterisk-queue-log", str(path)) == 3
    assert get_store().count(Scope.whole(org.id)) == 1
    assert RejectedRecord.objects.filter(organization=org).count() == 1


def test_nothing_readable_exits_1(org, tmp_path: Path, capsys) -> None:
    path = tmp_path / "queue_log"
    path.write_text("garbage\nmore garbage\n")
    assert run_import("--org", "acme", "--format", "asterisk-queue-log", str(path)) == 1
    missing = tmp_path / "missing"
    assert run_import("--org", "acme", "--format", "asterisk-queue-log", str(missing)) == 1
    assert "No such file" in capsys.readouterr().err


def test_wrong_usage_is_an_error_with_exit_2(org, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as unknown_org:
        call_command("import", "--org", "nobody", "--format", "asterisk-cdr", str(tmp_path))
    assert unknown_org.value.returncode == 2
    with pytest.raises(CommandError) as bad_mapping:
        call_command(
            "import",
            "--org",
            "acme",
            "--format",
            "csv",
            "--mapping",
            str(tmp_path / "missing.json"),
            str(tmp_path),
        )
    assert bad_mapping.value.returncode == 2


def test_org_add_validates_its_input(db, capsys) -> None:
    call_command("org", "add", "kund", "--name", "Kund AB", "--timezone", "Europe/Helsinki")
    assert "Created organization kund" in capsys.readouterr().out
    with pytest.raises(CommandError, match="slug"):
        call_command("org", "add", "kund", "--name", "Again")
    with pytest.raises(CommandError, match="Unknown time zone"):
        call_command("org", "add", "other", "--name", "X", "--timezone", "Mars/Olympus")


def test_the_simulator_round_trips_through_the_asterisk_logs(org, tmp_path: Path) -> None:
    """Simulate, write the logs, import them: the legs agree with the simulated truth. (A
    fixed end: a fortnight ending now varies with the hour the test runs, and a call still
    going at the end is the simulator's to count, not the logs'.)"""
    result = simulate(seed=3, days=14, end=datetime(2026, 11, 20, 18, tzinfo=UTC))
    write_master_csv(result.cdr, tmp_path / "Master.csv", org.timezone)
    write_queue_log(result.queue_log, tmp_path / "queue_log")
    point = CollectionPoint.objects.create(
        organization=org, name="pbx", format="asterisk", settings={"trunk_peers": [sb.TRUNK]}
    )
    for fmt, name in (("asterisk-cdr", "Master.csv"), ("asterisk-queue-log", "queue_log")):
        summary = import_file(org, point, fmt, tmp_path / name)
        assert summary.rejects == []
    counts: dict[tuple[str, str, str], int] = {}
    identities = dict(
        MeasuredObject.objects.filter(organization=org).values_list("id", "source_identity")
    )
    for leg in get_store().legs(Scope.whole(org.id)):
        identity = identities[leg["object_id"]]
        key = (leg["object_kind"], identity, leg["type"])
        counts[key] = counts.get(key, 0) + 1
    s = result.stats

    def legs(kind: str, type_: str, identity: str | None = None) -> int:
        return sum(
            n
            for (k, i, t), n in counts.items()
            if k == kind and t == type_ and identity in (None, i)
        )

    def truth(suffix: str) -> int:
        return sum(
            n for key, n in s.items() if key.startswith("ext:") and key.endswith(f":{suffix}")
        )

    for q in sb.QUEUES:
        for type_ in ("answered", "abandoned", "forwarded", "no_agent"):
            assert legs("acd", type_, f"queue:{q.number}") == s[f"queue:{q.number}:{type_}"]
    for type_ in ("answered", "abandoned", "forwarded", "no_agent"):
        assert legs("hunt", type_) == s[f"group:600:{type_}"]
    for kind in ("rule", "ivr"):
        for type_ in ("connected", "not_connected"):
            assert legs(kind, type_) == s[f"{kind}:{type_}"]
    answered_in_groups = (
        sum(s[f"queue:{q.number}:answered"] for q in sb.QUEUES) + s["group:600:answered"]
    )
    assert legs("user", "in_answered") == truth("in_answered") + answered_in_groups
    for type_ in ("in_busy", "in_voicemail", "in_forwarded", "out_answered"):
        assert legs("user", type_) == truth(type_), type_
    assert legs("user", "out_unanswered") == truth("out_busy") + truth("out_no_answer")
    # Objects keep their identity and get the members the logs show.
    assert (
        MeasuredObject.objects.get(organization=org, source_identity="ext:1001").display_name
        == "Anna Lindqvist"
    )
    support = MeasuredObject.objects.get(organization=org, source_identity="queue:401")
    members = set(
        GroupMembership.objects.filter(group=support).values_list("member__number", flat=True)
    )
    assert members == set(sb.QUEUES[1].members)


def test_a_collection_point_is_found_or_made_per_format(org) -> None:
    both = CollectionPoint.objects.create(organization=org, name="pbx", format="asterisk")
    assert collection_point_for(org, "asterisk-cdr") == both
    assert collection_point_for(org, "asterisk-queue-log") == both
    named = collection_point_for(org, "asterisk-cdr", "Kontoret")
    assert named.name == "Kontoret" and named != both


def test_a_fixed_file_imports_its_once_rejected_records(org, tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    broken = f"{T}|b|400|NONE|ENTERQUEUE||0702|1\n{T + 4}|b|400|NONE|ABANDON|1|1|x4\n"
    path.write_text(GOOD + f"{T}|b|400|NONE|ENTERQUEUE||0702|1\nnonsense\n")
    assert run_import("--org", "acme", "--format", "asterisk-queue-log", str(path)) == 3
    assert [(r.line, r.resolved) for r in RejectedRecord.objects.order_by("line")] == [
        (3, False),
        (4, False),
    ]
    path.write_text(GOOD + broken.replace("x4", "4"))
    assert run_import("--org", "acme", "--format", "asterisk-queue-log", str(path)) == 0
    assert get_store().count(Scope.whole(org.id)) == 2
    assert set(RejectedRecord.objects.values_list("resolved", flat=True)) == {True}


def test_operator_admins_see_imports_and_rejected_records(org, tmp_path: Path, client) -> None:
    from vaxelstat.accounts.models import User

    path = tmp_path / "queue_log"
    path.write_text(GOOD + "garbage\n")
    run_import("--org", "acme", "--format", "asterisk-queue-log", str(path))
    run = ImportRun.objects.get()
    User.objects.create_user("user@acme.example", "pw-user-12345", organization=org)
    client.login(username="user@acme.example", password="pw-user-12345")
    assert client.get("/operator/imports/").status_code == 404
    User.objects.create_superuser("ops@operator.example", "pw-ops-12345")
    client.login(username="ops@operator.example", password="pw-ops-12345")
    page = client.get("/operator/imports/", {"run": run.id}).content.decode()
    assert str(path) in page and "malformed: 1" in page
    assert "<code>garbage</code>" in page and "fewer than 5 fields" in page


@pytest.mark.parametrize("same_name", [False, True])
def test_calls_open_when_queue_log_rotates_are_completed_by_the_next_file(
    db, tmp_path: Path, same_name: bool
) -> None:
    """queue_log rotates while callers wait: the calls left open at the end of one file end
    in the next. Imported one after the other, the two files give the legs of the whole;
    also when every file comes under the same name (a spool or a push of "queue_log")."""
    from datetime import UTC, datetime

    from vaxelstat.calls.scope import Scope
    from vaxelstat.demo.asterisk_writer import write_queue_log
    from vaxelstat.demo.simulator import simulate
    from vaxelstat.ingest.models import RejectedRecord
    from vaxelstat.ingest.pipeline import import_file
    from vaxelstat.orgs.models import CollectionPoint, Organization

    whole = tmp_path / "queue_log"
    write_queue_log(
        simulate(seed=8, days=2, end=datetime(2026, 11, 18, 18, tzinfo=UTC)).queue_log, whole
    )
    lines = whole.read_text().splitlines(keepends=True)
    # Cut in the middle of a busy hour, and again later: calls wait across both cuts.
    cuts = [len(lines) // 3, 2 * len(lines) // 3]
    parts = [lines[: cuts[0]], lines[cuts[0] : cuts[1]], lines[cuts[1] :]]
    files = []
    for i, part in enumerate(parts):
        files.append(tmp_path / f"queue_log.{i}")
        files[-1].write_text("".join(part))

    def legs_of(org) -> set[tuple]:  # type: ignore[no-untyped-def]
        return {
            (leg["leg_id"], leg["type"], leg["wait_s"], leg["talk_s"])
            for leg in get_store().legs(Scope.whole(org.id))
        }

    at_once, rotated = (
        Organization.objects.create(slug=slug, name=slug) for slug in ("once", "rotated")
    )
    for org, paths in ((at_once, [whole]), (rotated, files)):
        point = CollectionPoint.objects.create(
            organization=org, name="pbx", format="asterisk-queue-log"
        )
        summaries = [
            import_file(
                org, point, "asterisk-queue-log", p, source_name="queue_log" if same_name else ""
            )
            for p in paths
        ]
    first_open = [r for r in summaries[0].rejects if r.reason == "incomplete_call"]
    assert first_open, "the cut leaves calls waiting"
    assert all(r.reason != "no_start_event" for s in summaries for r in s.rejects)
    assert legs_of(rotated) == legs_of(at_once)
    assert sum(s.lines_read for s in summaries) == len(lines)
    # The first file's open calls are marked as taken up; what the last file leaves open is
    # what the whole leaves open.
    left = RejectedRecord.objects.filter(collection_point__organization=rotated, resolved=False)
    whole_left = RejectedRecord.objects.filter(collection_point__organization=at_once)
    assert sorted(r.raw for r in left) == sorted(r.raw for r in whole_left)
    # Importing the second file again changes nothing.
    before = legs_of(rotated)
    import_file(
        rotated,
        rotated.collection_points.get(),
        "asterisk-queue-log",
        files[1],
        source_name="queue_log" if same_name else "",
    )
    assert legs_of(rotated) == before


def test_at_debug_an_import_logs_the_time_of_each_step(org, tmp_path: Path, caplog) -> None:
    """Where an import's time goes: each statement of its workspace, the sort of its legs and
    the store's insert, with its time (what `make bench` prints, step by step)."""
    path = tmp_path / "queue_log"
    path.write_text(GOOD)
    point = collection_point_for(org, "asterisk-queue-log")
    with caplog.at_level(logging.DEBUG, logger="vaxelstat.ingest"):
        import_file(org, point, "asterisk-queue-log", path)
    steps = [
        r.getMessage().partition(" s: ")
        for r in caplog.records
        if r.name.startswith("vaxelstat.ingest") and " s: " in r.getMessage()
    ]
    names = [name for _, _, name in steps]
    assert any(name.startswith("CREATE OR REPLACE TEMP TABLE ql_ev AS SELECT") for name in names)
    assert "the legs in start order" in names and "the store takes the legs" in names
    assert all(float(seconds) >= 0 for seconds, _, _ in steps)
    # A statement is named by its first words, without its comments.
    assert all(len(name) <= 80 and "--" not in name for name in names)


def test_the_bench_says_where_an_imports_time_went() -> None:
    lines = _where_it_went(2.0, [(0.5, "walk"), (1.0, "read"), (0.01, "a"), (0.02, "b")])
    assert [line.split(None, 2) for line in lines] == [
        ["1.00", "s", "read"],
        ["0.50", "s", "walk"],
        ["0.03", "s", "2 other steps"],
        ["0.47", "s", "outside the steps"],
    ]
