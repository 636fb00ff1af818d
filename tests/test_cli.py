"""The `vaxelstat` command as a user meets it: its own help and version, one-line errors, and a
hint where a file was imported as another format."""

import importlib
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from samples import SAMPLES, needs_samples

from vaxelstat import cli
from vaxelstat.ingest import sniff

SHOWN_REJECTS = importlib.import_module("vaxelstat.ingest.management.commands.import").SHOWN_REJECTS


def _main(monkeypatch, capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "argv", ["vaxelstat", *argv])
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_help_lists_the_product_commands_only_one_line_each(monkeypatch, capsys) -> None:
    for argv in ((), ("--help",), ("-h",), ("help",)):
        code, out, _ = _main(monkeypatch, capsys, *argv)
        assert code == 0
        listed = {
            line.split()[0] for line in out.splitlines() if line.startswith("  ") and line.strip()
        }
        assert {"import", "serve", "report", "calls", "migrate", "backup", "demo"} <= listed
        assert not listed & {"flush", "startproject", "startapp", "makemigrations", "loaddata"}
        assert all(len(line) <= 100 for line in out.splitlines()), out


def test_version_is_the_products_and_other_djangos_commands_are_refused(
    monkeypatch, capsys
) -> None:
    code, out, _ = _main(monkeypatch, capsys, "--version")
    assert code == 0 and out.startswith("vaxelstat ") and out.strip() != "vaxelstat"
    import django

    assert out.strip() != f"vaxelstat {django.get_version()}"
    code, _, err = _main(monkeypatch, capsys, "flush")
    assert code == 2 and "no command 'flush'" in err and "--help" in err


@pytest.mark.django_db
def test_report_refuses_an_out_it_could_not_write_before_any_work(tmp_path: Path) -> None:
    from vaxelstat.orgs.models import MeasuredObject, Organization

    org = Organization.objects.create(slug="acme", name="Acme")
    MeasuredObject.objects.create(organization=org, kind="acd", source_identity="q", number="400")
    args = ["--org", "acme", "--report", "acd.incoming", "--objects", "400"]
    args += ["--from", "2026-11-16", "--to", "2026-11-22", "--format", "xlsx"]
    for out, words in (
        (tmp_path / "missing" / "r.xlsx", "does not exist"),
        (tmp_path, "is a folder"),
    ):
        with pytest.raises(CommandError) as refused:
            call_command("report", *args, "--out", str(out))
        assert refused.value.returncode == 2
        assert words in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.django_db
def test_a_queue_log_imported_as_a_cdr_gets_a_hint_and_a_bounded_list(
    tmp_path: Path, capsys
) -> None:
    from vaxelstat.orgs.models import Organization

    Organization.objects.create(slug="acme", name="Acme")
    path = tmp_path / "queue_log"
    lines = [f"{1700000000 + i}|c{i}|400|NONE|ENTERQUEUE||0701{i}|1" for i in range(60)]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SystemExit) as done:
        call_command("import", "--org", "acme", "--format", "asterisk-cdr", str(path))
    assert done.value.code == 1
    err = capsys.readouterr().err.splitlines()
    assert f"{path}: this looks like an Asterisk queue_log: try --format asterisk-queue-log" in err
    assert sum(line.startswith(f"{path}:") and "unknown_layout" in line for line in err) == (
        SHOWN_REJECTS
    )
    assert f"{path}: {60 - SHOWN_REJECTS} more records rejected" in "\n".join(err)


@needs_samples
@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("asterisk-cdr/BugaDM_TelephonySwitching_Master.csv", "asterisk-cdr"),
        ("asterisk-cdr/KelySaina_cdr_Master.csv", "asterisk-cdr"),
        ("pbxware-asterisk-db-export/cdr.csv", "asterisk-cdr"),
        ("pbxware-asterisk-db-export/queue_log.csv", "asterisk-queue-log"),
        (
            "asterisk-queue_log/wazo-xivo-doc/04_enter_the_queue_and_get_answered_by_an_agent.psv",
            "asterisk-queue-log",
        ),
        ("broadworks-cdr/vivekvedant_CDR-Analysis_Call_data_head6000.csv", "broadworks"),
        ("broadworks-cdr/han-hgu_perf-prototype_doc.go_raw_fields.json", "broadworks"),
        ("freeswitch-cdr/cgrates_fscdr_test_body.json", "freeswitch-json"),
    ],
)
def test_the_real_samples_look_like_their_formats(name: str, fmt: str) -> None:
    assert sniff.looks_like(SAMPLES / name) == fmt


def test_a_file_of_no_known_format_gives_no_hint(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\nworld\n")
    assert sniff.looks_like(path) is None
    assert sniff.looks_like(tmp_path / "missing") is None
