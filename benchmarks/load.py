"""Load on intake's HTTP API: distinct people registered as fast as possible (closed loop), or at
a fixed rate (open loop), and reporting's count watched to see when each becomes visible."""

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from work4life.runtime.testing import bearer

CASEWORKER = bearer("caseworker", "work4life", "bench")
READER = bearer("programme_manager", "work4life", "bench")  # exact counts (small ones are hidden below)
SEXES = ("female", "male")
TIMEOUT_S = 5.0  # a registration not answered in this time has failed
REGIONS = ("tanger_tetouan_al_hoceima", "rabat_sale_kenitra", "oriental", "beni_mellal_khenifra")


SYLLABLES = tuple(c + v for c in "bdfgkmnrstz" for v in "aeiou")  # 55


def name(n: int, syllables: int = 3) -> str:
    """A made-up name of letters only, different for each n below 55 ** syllables (digits would be
    dropped when intake normalises names, and every person would have the same name)."""
    parts = []
    for _ in range(syllables):
        n, digit = divmod(n, len(SYLLABLES))
        parts.append(SYLLABLES[digit])
    return "".join(parts).capitalize()


def person(i: int, run: int = 0) -> dict[str, Any]:
    """The i-th of many different people (names, birth dates, phones all differ), so duplicate
    flagging does what it does on real intake, not on one person registered a thousand times."""
    n = run * 1_000_000 + i
    return {
        "given_name": name(n * 7_919 % 166_375),
        "family_name": name(n // 166_375 * 12_007 + n * 104_729 % 166_375, 4),
        "sex": SEXES[n % 2],
        "date_of_birth": (date(1960, 1, 1) + timedelta(days=(n * 37) % 15_000)).isoformat(),
        "nationality": ("CIV", "SEN", "GIN", "CMR", "MLI")[n % 5],
        "legal_status": "regular_migrant",
        "region": REGIONS[n % 4],
        "city": "Rabat",
        "phone": f"+2126{n % 100_000_000:08d}",
        "consents": [{"purpose": "service_delivery"}, {"purpose": "statistics"}],
    }


async def closed_loop(url: str, count: int, concurrency: int = 16, run: int = 0) -> float:
    """Registrations per second with `concurrency` clients each sending its next one on an answer."""
    queue = iter(range(count))
    failures: list[str] = []

    async def client_loop(client: httpx.AsyncClient) -> None:
        for i in queue:
            response = await client.post("/v1/beneficiaries", json=person(i, run))
            if response.status_code != 201:
                failures.append(f"{response.status_code} {response.text[:200]}")

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=CASEWORKER, timeout=30, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} registrations failed, e.g. {failures[0]}")
    return count / elapsed


@dataclass
class LatencyRun:
    target_per_s: float
    sent: int = 0
    achieved_per_s: float = 0.0
    answered: list[float] = field(default_factory=list)  # when each 201 came back (perf_counter)
    visible: list[float] = field(default_factory=list)  # when the k-th new person showed in reporting
    caught_up: bool = False
    failed: list[str] = field(default_factory=list)  # refused or timed out

    @property
    def latencies_ms(self) -> list[float]:
        """k-th answer matched with the k-th appearance (the count cannot say which person it was;
        one person's events keep their order, so this is exact while reporting applies them in
        answer order, and the distribution is the same when two swap)."""
        return [(v - a) * 1000 for a, v in zip(sorted(self.answered), self.visible, strict=False)]


async def open_loop(
    intake_url: str,
    reporting_url: str,
    rate: float,
    seconds: float,
    run: int,
    settle_s: float = 15.0,
    poll_s: float = 0.005,
    timeout_s: float = TIMEOUT_S,
) -> LatencyRun:
    """Register `rate` people per second for `seconds` (each request starts on schedule, whether
    or not the previous ones have been answered), polling reporting's count every `poll_s`. A
    registration not answered within `timeout_s` counts as failed (the rate is not sustained)."""
    result = LatencyRun(rate)
    async with (
        httpx.AsyncClient(
            base_url=intake_url, headers=CASEWORKER, timeout=timeout_s, limits=httpx.Limits(max_connections=None)
        ) as writer,
        httpx.AsyncClient(base_url=reporting_url, headers=READER, timeout=10) as reader,
    ):

        async def count() -> int:
            response = await reader.get("/v1/registrations/summary")
            response.raise_for_status()
            return int(response.json()["total"])

        base = await count()

        async def register(i: int) -> None:
            try:
                response = await writer.post("/v1/beneficiaries", json=person(i, run))
            except httpx.HTTPError as exc:
                result.failed.append(repr(exc))
                return
            if response.status_code == 201:
                result.answered.append(time.perf_counter())
            else:
                result.failed.append(f"{response.status_code} {response.text[:200]}")

        stop_polling = asyncio.Event()

        async def watch() -> None:
            seen = base
            while not stop_polling.is_set():
                try:
                    total = await count()
                except httpx.HTTPError:
                    await asyncio.sleep(poll_s)
                    continue
                now = time.perf_counter()
                result.visible.extend([now] * (total - seen))
                seen = max(seen, total)
                await asyncio.sleep(poll_s)

        watcher = asyncio.create_task(watch())
        requests = []
        started = time.perf_counter()
        total = int(rate * seconds)
        for i in range(total):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            requests.append(asyncio.create_task(register(i)))
        await asyncio.gather(*requests)
        result.sent = total
        result.achieved_per_s = total / (max(result.answered) - started) if result.answered else 0.0
        deadline = time.perf_counter() + settle_s
        while len(result.visible) < len(result.answered) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        result.caught_up = len(result.visible) >= len(result.answered)
        stop_polling.set()
        await watcher
    return result


async def wait_until_drained(reporting_url: str, quiet_s: float = 5.0, limit_s: float = 600.0) -> float:
    """Wait until reporting's count has not moved for `quiet_s`: an overloaded step leaves
    registrations queued in intake (the client gave up on them, the server did not), and the
    next step must not be measured behind them. Returns the seconds waited."""
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=reporting_url, headers=READER, timeout=10) as reader:
        last, since = None, time.perf_counter()
        while time.perf_counter() - started < limit_s:
            try:
                response = await reader.get("/v1/registrations/summary")
                total = int(response.json()["total"])
            except (httpx.HTTPError, KeyError, ValueError):
                total = None
            if total != last:
                last, since = total, time.perf_counter()
            elif time.perf_counter() - since >= quiet_s:
                break
            await asyncio.sleep(0.5)
    return time.perf_counter() - started


SEED_RUN = 99  # the seeded people's names never meet the measured ones'


def seed_intake(database_url: str, people: int) -> float:
    """Register `people` people in intake's database straight through its use case (no HTTP), and
    drop their events from the outbox so that nothing is published: the latency steps then meet a
    register of the programme's size (the duplicate check at each registration reads the people
    born around the newcomer's birth date). Returns the seconds it took."""
    from sqlalchemy import delete
    from sqlmodel import Session

    from work4life.contracts.envelope import Producer
    from work4life.intake.domain.model import BeneficiaryBase, ConsentRequest
    from work4life.intake.service_layer import handlers
    from work4life.runtime import db, migrations
    from work4life.runtime.auth import Principal, Role
    from work4life.runtime.outbox import OutboxMessage

    started = time.perf_counter()
    engine = db.make_engine(database_url)
    migrations.upgrade(engine, "work4life.intake")
    context = handlers.Context(
        producer=Producer(service="intake", organisation="work4life"), minimum_age=15, topic_name=lambda name: name
    )
    who = Principal(subject="bench-seed", role=Role.CASEWORKER, organisation="work4life")
    for i in range(people):
        body = person(i, SEED_RUN)
        consents = [ConsentRequest.model_validate(c) for c in body.pop("consents")]
        details = BeneficiaryBase.model_validate({**body, "partner_organisation": "work4life"})
        with Session(engine) as session:
            uow = handlers.Work.for_request(session, context, who, None)
            handlers.register_beneficiary(uow, handlers.RegisterBeneficiary(details, consents))
    with Session(engine) as session:
        session.execute(delete(OutboxMessage))
        session.commit()
    engine.dispose()
    return time.perf_counter() - started
