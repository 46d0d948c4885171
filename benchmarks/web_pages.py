"""The staff web application's pages beside the API calls they are made of, with intake holding
the programme's 15,000 people.

    uv run python -m benchmarks.web_pages                     # 15,000 people, 300 requests a kind
    uv run python -m benchmarks.web_pages --people 300 --requests 20   # a quick run (the tests)

Intake (SQLite, on the local broker) and the web app run as processes; a client on this machine
times, one request at a time and in alternation: the people list (25 a page, pages all over the
register) through the app and the same `GET /v1/beneficiaries` straight to intake; a person's page
through the app and the `GET /v1/beneficiaries/{id}/case-file` it is made from, beside the plain
`GET /v1/beneficiaries/{id}`. Prints p50/p95 in ms and the page/API ratios. Figures, not
assertions."""

import argparse
import os
import random
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from work4life.runtime.processes import ServiceProcess
from work4life.runtime.testing import TEST_JWT_SECRET, bearer

from .harness import machine, percentile
from .load import seed_intake

PAGE = 25


def timed(call) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{response.request.url} answered {response.status_code}: {response.text[:300]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=15_000)
    parser.add_argument("--requests", type=int, default=300, help="timed requests of each kind")
    parser.add_argument("--kafka", default=os.environ.get("W4L_BENCH_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="w4l-web-bench-"))
    database = f"sqlite:///{workdir}/intake.db"
    print(f"seeding intake with {args.people:,} people...", file=sys.stderr)
    seeded_s = seed_intake(database, args.people)
    intake = ServiceProcess(
        "intake",
        {
            "KAFKA_BOOTSTRAP_SERVERS": args.kafka,
            "TOPIC_NAMESPACE": f"bench-web-{uuid.uuid4().hex[:8]}.",
            "TOPIC_PARTITIONS": "1",
            "DATABASE_URL": database,
            "AUTH_JWT_SECRET": TEST_JWT_SECRET,
            "LOG_LEVEL": "WARNING",
        },
        workdir,
    ).start()
    web = ServiceProcess(
        "web",
        {"INTAKE_URL": intake.url, "DEV_JWT_SECRET": TEST_JWT_SECRET, "ENVIRONMENT": "test", "LOG_LEVEL": "WARNING"},
        workdir,
    ).start()
    try:
        api = httpx.Client(base_url=intake.url, headers=bearer("caseworker", "work4life", "bench"), timeout=30)
        app = httpx.Client(base_url=web.url, timeout=30)
        sign_in = app.get("/sign-in")
        csrf = re.search(r'name="csrf" content="([^"]+)"', sign_in.text).group(1)  # type: ignore[union-attr]
        app.post(
            "/sign-in/development",
            data={"csrf": csrf, "name": "Bench", "role": "caseworker", "organisation": "work4life"},
        )
        total = api.get("/v1/beneficiaries", params={"limit": 1}).json()["total"]
        people = [p["beneficiary_id"] for p in api.get("/v1/beneficiaries", params={"limit": 500}).json()["items"]]
        pages = max(1, total // PAGE)
        rng = random.Random(7)
        for _ in range(10):  # warm both
            app.get("/people")
            api.get("/v1/beneficiaries", params={"limit": PAGE})
        times: dict[str, list[float]] = {k: [] for k in ("list_api", "list_page", "one_api", "file_api", "person_page")}
        for i in range(args.requests):
            page = rng.randint(1, pages)
            person = rng.choice(people)
            pair = [
                ("list_page", lambda page=page: app.get("/people", params={"page": page})),
                (
                    "list_api",
                    lambda page=page: api.get("/v1/beneficiaries", params={"limit": PAGE, "offset": (page - 1) * PAGE}),
                ),
                ("person_page", lambda person=person: app.get(f"/people/{person}")),
                ("file_api", lambda person=person: api.get(f"/v1/beneficiaries/{person}/case-file")),
                ("one_api", lambda person=person: api.get(f"/v1/beneficiaries/{person}")),
            ]
            if i % 2:
                pair.reverse()
            for kind, call in pair:
                times[kind].append(timed(call))
    finally:
        web.stop()
        intake.stop()

    def p(kind: str, q: float) -> float:
        return percentile(times[kind], q)

    print(f"\n### Web pages beside their API calls ({machine()})\n")
    print(
        f"intake holds {total:,} people (seeded in {seeded_s:.0f} s); {args.requests} timed requests of each kind, "
        "one at a time, over loopback HTTP; SQLite.\n"
    )
    print("| what | p50 ms | p95 ms |")
    print("|---|---|---|")
    rows = [
        ("people list page (`GET /people?page=N`, 25 a page)", "list_page"),
        ("the same list from intake (`GET /v1/beneficiaries`)", "list_api"),
        ("a person's page (`GET /people/{id}`)", "person_page"),
        ("that person's case file from intake (`GET /v1/beneficiaries/{id}/case-file`)", "file_api"),
        ("that person's record alone (`GET /v1/beneficiaries/{id}`)", "one_api"),
    ]
    for text, kind in rows:
        print(f"| {text} | {p(kind, 50):.1f} | {p(kind, 95):.1f} |")
    print(
        f"\nratios page/API at p50 and p95: list {p('list_page', 50) / p('list_api', 50):.2f} and "
        f"{p('list_page', 95) / p('list_api', 95):.2f}; person against its case file "
        f"{p('person_page', 50) / p('file_api', 50):.2f} and {p('person_page', 95) / p('file_api', 95):.2f}; "
        f"person against the record alone {p('person_page', 50) / p('one_api', 50):.2f} and "
        f"{p('person_page', 95) / p('one_api', 95):.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
