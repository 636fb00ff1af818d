"""The published test vectors (docs/test-vectors/): small raw logs with the legs they must
give. The suite imports each on every engine; `python -m vaxelstat.ingest.vectors` renders
them as the worked examples of docs/test-vectors/README.md (see FORMAT.md there)."""

import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vaxelstat.reports.period import offset_text

ROOT = Path(__file__).resolve().parent.parent.parent / "docs" / "test-vectors"
# The fields every expected leg names, and those compared only where a vector gives them.
REQUIRED = ("kind", "number", "type", "wait", "talk", "internal", "note")
OPTIONAL = (
    "start",
    "from",
    "forwarded_from",
    "forwarded_to",
    "group_from",
    "member",
    "to",
    "direction",
)
# A leg's field in the call store, for each field a vector names.
STORE_FIELD = {
    "kind": "object_kind",
    "number": "object_id",
    "type": "type",
    "wait": "wait_s",
    "talk": "talk_s",
    "internal": "internal",
    "note": "note",
    "start": "start_local",
    "from": "from_number",
    "forwarded_from": "forwarded_from",
    "forwarded_to": "forwarded_to",
    "group_from": "group_from",
    "member": "member_number",
    "to": "to_number",
    "direction": "direction",
}


@dataclass(frozen=True)
class VectorFile:
    format: str
    text: str
    name: str


@dataclass
class Vector:
    path: Path
    title: str
    why: str
    source: str
    timezone: str
    settings: dict[str, Any]
    files: list[VectorFile]
    legs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.path.parent.name}/{self.path.stem}"


class BadVector(Exception):
    pass


def load(path: Path) -> Vector:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    for key in ("title", "why", "files", "legs"):
        if key not in data:
            raise BadVector(f"{where}: no {key!r}")
    files = [
        VectorFile(f["format"], f["text"], f.get("name", f"file{i + 1}"))
        for i, f in enumerate(data["files"])
    ]
    for i, leg in enumerate(data["legs"], start=1):
        missing = [k for k in REQUIRED if k not in leg]
        unknown = [k for k in leg if k not in REQUIRED and k not in OPTIONAL]
        if missing or unknown:
            raise BadVector(f"{where}: leg {i}: missing {missing}, unknown {unknown}")
    return Vector(
        path=path,
        title=data["title"],
        why=data["why"],
        source=data.get("source", ""),
        timezone=data.get("timezone", "Europe/Stockholm"),
        settings=data.get("settings", {}),
        files=files,
        legs=data["legs"],
    )


def all_vectors(root: Path = ROOT) -> list[Vector]:
    return [load(p) for p in sorted(root.glob("*/*.toml"))]


def known_wrong(root: Path = ROOT) -> dict[str, str]:
    """The vectors the product does not yet give right, by key, with why."""
    path = root / "known-wrong.toml"
    if not path.exists():
        return {}
    with open(path, "rb") as f:
        return dict(tomllib.load(f).get("vectors", {}))


def stored_as_expected(
    vector: Vector, stored: list[dict[str, Any]], numbers: dict[int, str]
) -> list[dict[str, Any]]:
    """The stored legs in the vector's terms: for each, the fields the vector's legs name
    (`numbers`: each measured object's number, by id)."""
    names = set(REQUIRED)
    for leg in vector.legs:
        names |= set(leg)
    rows = []
    for leg in stored:
        row = {}
        for name in sorted(names):
            value = leg[STORE_FIELD[name]]
            if name == "number":
                value = numbers[value]
            elif name == "start":
                value = f"{value:%Y-%m-%d %H:%M:%S}{offset_text(value, leg['start_utc'])}"
            row[name] = value
        rows.append(row)
    return rows


def unmatched(
    expected: list[dict[str, Any]], stored: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The expected legs no stored leg matches, and the stored legs matching none. A stored
    leg matches an expected one when it agrees on every field the expected leg names."""
    left = list(stored)
    missing = []
    for leg in sorted(expected, key=len, reverse=True):
        found = next((s for s in left if all(s[k] == v for k, v in leg.items())), None)
        if found is None:
            missing.append(leg)
        else:
            left.remove(found)
    return missing, left


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nej"
    return str(value).replace("|", "\\|") if value != "" else ""


def render(vectors: list[Vector], wrong: dict[str, str]) -> str:
    families: dict[str, list[Vector]] = {}
    for v in vectors:
        families.setdefault(v.path.parent.name, []).append(v)
    out = [
        "# Test vectors: worked examples you can check",
        "",
        "Each example is a small log written as the PBX writes it, and the legs Växelstatistik",
        "makes of it: the object, the type, Kötid and Samtalslängd in seconds, whether the",
        "caller was internal, and Övrigt. The test suite imports every example on each call",
        "store engine and requires exactly these legs. How a vector is written: FORMAT.md.",
        f"This page is made by `make vectors` from the {len(vectors)} files beside it.",
        f"{len(vectors) - len(wrong)} of them pass today; the {len(wrong)} marked",
        '"Not yet right" are known faults, each with why (`known-wrong.toml`).',
        "",
    ]
    for family in sorted(families):
        out.append(f"- [{family}](#{family}) ({len(families[family])})")
    for family, group in sorted(families.items()):
        out += ["", f"## {family}", ""]
        for v in group:
            out += [f"### {v.title}", "", v.why, ""]
            if v.key in wrong:
                out += [f"**Not yet right:** {wrong[v.key]}.", ""]
            if v.settings:
                settings = ", ".join(f"`{k}` = `{val}`" for k, val in v.settings.items())
                out += [f"Collection point settings: {settings}.", ""]
            if v.timezone != "Europe/Stockholm":
                out += [f"Organization time zone: {v.timezone}.", ""]
            for f in v.files:
                out += [f"`{f.format}`:", "", "```", f.text.strip("\n"), "```", ""]
            extra = [k for k in OPTIONAL if any(k in leg for leg in v.legs)]
            heads = ["Objekt", "Typ", "Kötid", "Samtalslängd", "Intern", "Övrigt", *extra]
            out.append("| " + " | ".join(heads) + " |")
            out.append("|" + " --- |" * len(heads))
            for leg in v.legs:
                cells = [
                    f"{leg['kind']} {leg['number']}",
                    leg["type"],
                    leg["wait"],
                    leg["talk"],
                    leg["internal"],
                    leg["note"],
                    *(leg.get(k, "") for k in extra),
                ]
                out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
            if v.source:
                out += ["", f"Source of the lines: {v.source}. File: `{v.key}.toml`."]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def main() -> None:
    (ROOT / "README.md").write_text(render(all_vectors(), known_wrong()), encoding="utf-8")
    print(f"{ROOT / 'README.md'} written", file=sys.stderr)


if __name__ == "__main__":
    main()
