"""Report speed on a large store, as medians (part of `make bench`).

A store of 20 million legs over 500 organizations (the largest with 2 million legs and 300
objects, a year of traffic) from the synthetic generator; then, warm, the largest
organization's year for 50 objects 07:00–17:00 in 30-minute buckets, a 20-user
organization's month by hour, the first page of the specification behind the large report,
the Basrapporter page of the large report as served, and two exports as background tasks.
Each report's time is set beside the engine's own answer to the same query (the ratio), in
one run, so that a busy machine cannot hide a regression.

Run: .venv/bin/python -m vaxelstat.bench_reports [--legs 20000000] [--orgs 500]
"""

import argparse
import os
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from vaxelstat.bench import throwaway_data
from vaxelstat.calls.scope import Scope


def _timed(fn: Any, runs: int = 7) -> tuple[float, float]:
    """(first run, median of the warm runs) in milliseconds."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times[0], statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--legs", type=int, default=20_000_000)
    parser.add_argument("--orgs", type=int, default=500)
    parser.add_argument("--engine", default="duckdb", choices=["duckdb", "chdb"])
    args = parser.parse_args()

    with throwaway_data("vaxelstat-bench-reports-") as data:
        _bench(args, data)


def _bench(args: argparse.Namespace, data: Path) -> None:
    if args.engine == "chdb":
        os.environ["CALLSTORE_URL"] = f"chdb:///{data / 'clickhouse'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxelstat.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from vaxelstat.calls.store import get_store
    from vaxelstat.orgs.models import MeasuredObject, Organization
    from vaxelstat.reports.engine import run_report
    from vaxelstat.reports.period import Period
    from vaxelstat.reports.specification import specification

    call_command("migrate", verbosity=0)
    store = get_store()
    end = datetime(2026, 11, 25)
    largest_legs = args.legs // 10
    others = args.orgs - 1
    per_org = (args.legs - largest_legs) // max(others, 1)
    cycle = ["user"] * 25 + ["acd"] * 3 + ["hunt", "rule", "ivr"]
    t0 = time.perf_counter()
    orgs = Organization.objects.bulk_create(
        [Organization(slug=f"org{i}", name=f"Org {i}") for i in range(args.orgs)]
    )
    for index, org in enumerate(Organization.objects.order_by("id")):
        kinds = [cycle[k % len(cycle)] for k in range(300)] if index == 0 else ["user"] * 20
        objects = MeasuredObject.objects.bulk_create(
            [
                MeasuredObject(
                    organization=org,
                    kind=kind,
                    number=str(1000 + k),
                    source_identity=f"gen:{kind}:{k}",
                )
                for k, kind in enumerate(kinds)
            ]
        )
        ids = [o.id for o in MeasuredObject.objects.filter(organization=org).order_by("id")]
        store.generate_synthetic(
            org.id,
            largest_legs if index == 0 else per_org,
            ids,
            kinds,
            end,
            365 if index == 0 else 60,
        )
        del objects
    store.unscoped_compact()
    print(
        f"generated {args.legs:,} legs over {len(orgs)} organizations "
        f"in {time.perf_counter() - t0:.0f} s"
    )

    largest = Organization.objects.order_by("id").first()
    small = Organization.objects.order_by("id")[1]
    assert largest is not None
    fifty = list(MeasuredObject.objects.filter(organization=largest, kind="user")[:50])
    year = Period(
        "Europe/Stockholm",
        (end - timedelta(days=364)).date(),
        end.date(),
        datetime.strptime("07:00", "%H:%M").time(),
        datetime.strptime("17:00", "%H:%M").time(),
        "30min",
    )
    users = list(MeasuredObject.objects.filter(organization=small))
    month = Period("Europe/Stockholm", (end - timedelta(days=30)).date(), end.date(), group="hour")
    from vaxelstat.calls import results

    # The product (run_report, its answer not kept: each run asks the store anew) against the
    # engine's own answer to the same query (the store's SQL, its rows fetched and nothing
    # made of them), in turns, so that a busy machine slows both alike.
    engine_answer = type(store)._aggregate
    asked: list[tuple[Any, Any]] = []

    def remembered(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append((args, kwargs))
        return engine_answer(self, *args, **kwargs)

    reports = (
        (
            "large report (largest organization's year, 50 objects, 07-17, 30 min)",
            largest,
            fifty,
            year,
            1.2,
        ),
        ("small report (20 users, a month, hourly)", small, users, month, 1.3),
    )
    for name, org, objects, period, goal in reports:

        def product(org: Any = org, objects: Any = objects, period: Any = period) -> Any:
            return run_report(org, "user.incoming", objects, period, scope=Scope.whole(org.id))

        type(store)._aggregate = remembered  # type: ignore[method-assign]
        results.changed(org.id)
        product()
        type(store)._aggregate = engine_answer  # type: ignore[method-assign]
        query_args, query_kwargs = asked[-1]
        made, raw = [], []
        for _ in range(9):
            t0 = time.perf_counter()
            engine_answer(store, *query_args, **query_kwargs)
            raw.append(time.perf_counter() - t0)
            results.changed(org.id)
            t0 = time.perf_counter()
            product()
            made.append(time.perf_counter() - t0)
        _first, kept = _timed(product)
        ratio = statistics.median(made[1:]) / statistics.median(raw[1:])
        print(
            f"[{args.engine}] {name}: product {statistics.median(made[1:]) * 1000:.0f} ms, "
            f"raw engine {statistics.median(raw[1:]) * 1000:.0f} ms: ratio {ratio:.2f} "
            f"(goal {goal}); its figures kept: {kept:.1f} ms"
        )

    def first_page(fresh: bool = True) -> None:
        if fresh:
            results.changed(largest.id)
        specification(
            largest, "user.incoming", fifty, year, limit=50, scope=Scope.whole(largest.id)
        )

    first, warm = _timed(first_page)
    _first, kept = _timed(lambda: first_page(fresh=False))
    print(
        f"[{args.engine}] first page of the specification behind the large report: "
        f"first {first:.0f} ms, then {warm:.0f} ms (median); kept: {kept:.1f} ms"
    )
    # The Basrapporter page itself, as a browser asks for it: query, figures and HTML.
    from django.test import Client

    from vaxelstat.accounts.models import User

    operator = User.objects.create_superuser("bench@example.net", None)
    client = Client(SERVER_NAME="localhost")
    client.force_login(operator)
    page = {
        "org": largest.slug,
        "report": "user.incoming",
        "from": year.first.isoformat(),
        "to": year.last.isoformat(),
        "time": "07:00-17:00",
        "group": "30min",
        "o": ",".join(str(o.id) for o in fifty),
    }
    sizes: list[int] = []

    def served(compressed: bool = True, fresh: bool = True) -> None:
        if fresh:
            results.changed(largest.id)
        headers = {"Accept-Encoding": "gzip"} if compressed else {}
        response = client.get("/basrapporter/", page, headers=headers)
        assert response.status_code == 200
        assert compressed == (response.get("Content-Encoding") == "gzip")
        sizes.append(len(response.content))

    served(compressed=False)
    html_bytes = sizes[-1]
    _first, warm = _timed(served)
    _first, kept = _timed(lambda: served(fresh=False))
    print(
        f"[{args.engine}] the Basrapporter page of the large report ({len(year.buckets()):,} "
        f"rows, 250 a page): {sizes[-1]:,} bytes gzipped ({html_bytes:,} of HTML), "
        f"median {warm:.0f} ms (goal: under 1 MB and 150 ms); {kept:.0f} ms with its figures "
        "kept"
    )

    # Exports as the server's worker runs them: an xlsx of the large report, and one of a
    # specification of about 100,000 calls.
    from vaxelstat.exports.content import ExportRequest
    from vaxelstat.exports.models import Export
    from vaxelstat.exports.tasks import run_pending

    def exported(objects: list[MeasuredObject], include: list[str]) -> tuple[float, Export]:
        wanted = ExportRequest(
            "user.incoming",
            year.first.isoformat(),
            year.last.isoformat(),
            "07:00-17:00",
            "30min",
            [o.id for o in objects],
            include,
        )
        export = Export.objects.create(
            owner=operator, organization=largest, format="xlsx", request=wanted.as_json()
        )
        t0 = time.perf_counter()
        run_pending()
        elapsed = time.perf_counter() - t0
        export.refresh_from_db()
        assert export.status == Export.Status.DONE, export.error
        return elapsed, export

    elapsed, export = exported(fifty, ["table", "chart", "info"])
    print(
        f"[{args.engine}] xlsx of the large report ({len(year.buckets()):,} rows), "
        f"as a background task: {elapsed:.1f} s ({export.size:,} bytes)"
    )
    per_object = spec_total(largest, fifty, year) / len(fifty)
    some = fifty[: max(1, round(100_000 / max(per_object, 1)))]
    elapsed, export = exported(some, ["calls"])
    print(
        f"[{args.engine}] xlsx of a specification of {spec_total(largest, some, year):,} calls, "
        f"as a background task: {elapsed:.1f} s ({export.size:,} bytes)"
    )


def spec_total(org: Any, objects: list[Any], period: Any) -> int:
    from vaxelstat.reports.specification import specification

    return specification(
        org, "user.incoming", objects, period, limit=0, scope=Scope.whole(org.id)
    ).total


if __name__ == "__main__":
    main()
