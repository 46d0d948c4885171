"""Several replicas of a service on one PostgreSQL database, as a partner deploys them.

- Consumer groups: reporting, then training, run as two and three processes in one consumer group
  sharing one database while intake's events flow; a member joins (the group rebalances while the
  others are in the middle of their batches), a member is killed with SIGKILL while it has records
  in hand, another joins. Every total must be exact, and the group's inbox must hold every event of
  the topic exactly once: nothing applied twice, nothing skipped.
- The outbox relay: two intake processes take registrations on one database; the relay's leader is
  killed with SIGKILL in the middle of the load, the other replica's relay takes over, and every
  event of the outbox is on the topic exactly once, in the outbox's order for each person.

Knobs: W4L_REPLICAS_PEOPLE (default 200), W4L_REPLICAS_LOAD_S (default 20), W4L_REPLICAS_SEED.
"""

import os
import random
import threading
import time
from collections import Counter, defaultdict

import httpx
import pytest
from sqlalchemy import create_engine, text

from work4life.contracts.envelope import HEADER_EVENT_ID, HEADER_EVENT_TYPE
from work4life.runtime.testing import bearer, fresh_postgres_database

from ..conftest import caught_up, eventually, topic_records
from .test_fault_injection import CLERK, REFERRALS, person

pytestmark = pytest.mark.e2e

PEOPLE = int(os.environ.get("W4L_REPLICAS_PEOPLE", "200"))
LOAD_S = float(os.environ.get("W4L_REPLICAS_LOAD_S", "20"))
SEED = int(os.environ.get("W4L_REPLICAS_SEED", "20261203"))
FAST = {"LAG_REFRESH_INTERVAL_S": "1"}
MANAGER = bearer("programme_manager", "amappe-rabat", "karim")
TRAINER = bearer("caseworker", "ofppt-rabat", "samira")
REFER_TO = {"training": 0.6, "employment": 0.3}


class Load(threading.Thread):
    """Registers PEOPLE people spread over LOAD_S, each referred to training and employment at
    random, through whichever intake replicas are `alive`. A request cut off by a kill is not
    retried (its outcome is unknown to the client); the outbox is the truth."""

    def __init__(self, intakes: list, rng: random.Random) -> None:
        super().__init__(name="load")
        self.alive = list(intakes)
        self.rng = rng
        self.registered: list[str] = []
        self.referred: dict[str, set[str]] = defaultdict(set)
        self.cut_off = 0
        self.failures: list[BaseException] = []
        self.started = time.monotonic()

    def at(self, fraction: float) -> None:
        time.sleep(max(0.0, self.started + LOAD_S * fraction - time.monotonic()))

    def run(self) -> None:
        try:
            for i in range(PEOPLE):
                time.sleep(max(0.0, self.started + LOAD_S * i / PEOPLE - time.monotonic()))
                intake = self.alive[i % len(self.alive)]
                try:
                    r = httpx.post(
                        f"{intake.url}/v1/beneficiaries", json=person(self.rng, i), headers=CLERK, timeout=30
                    )
                    assert r.status_code == 201, r.text
                    who = r.json()["beneficiary_id"]
                    self.registered.append(who)
                    for service, p in REFER_TO.items():
                        if self.rng.random() < p:
                            r = httpx.post(
                                f"{intake.url}/v1/beneficiaries/{who}/referrals",
                                json={"service": service, "reason": REFERRALS[service]},
                                headers=CLERK,
                                timeout=30,
                            )
                            assert r.status_code == 201, r.text
                            self.referred[service].add(who)
                except httpx.TransportError:
                    self.cut_off += 1
        except BaseException as exc:
            self.failures.append(exc)


def events_by_type(records) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for r in records:
        headers = {k: v.decode() for k, v in r.headers}
        found[headers[HEADER_EVENT_TYPE]].add(headers[HEADER_EVENT_ID])
    return found


def handled(service) -> int:
    """Events this process applied (from its /metrics)."""
    body = httpx.get(f"{service.url}/metrics", timeout=5).text
    return int(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in body.splitlines()
            if line.startswith("w4l_events_handled_total{") and 'outcome="processed"' in line
        )
    )


@pytest.mark.timeout(600)
@pytest.mark.parametrize("database_for", ["postgresql"], indirect=True)
@pytest.mark.parametrize("service", ["reporting", "training"])
def test_consumer_group_members_killed_and_added_while_events_flow_apply_each_event_once(
    service, start_services, postgres_server_url, topic_namespace, kafka_bootstrap
):
    rng = random.Random(SEED)
    (intake,) = start_services("intake", env=FAST)
    shared = fresh_postgres_database(postgres_server_url)
    members = start_services(service, service, env=FAST, database_url=shared)
    alive = list(members)
    log: list[str] = []
    load = Load([intake], rng)

    def note(what: str) -> None:
        log.append(f"{time.monotonic() - load.started:5.1f}s {what} ({len(alive)} members)")

    load.start()
    load.at(0.25)
    alive += start_services(service, env=FAST, database_url=shared)
    note("a third member joined")
    load.at(0.5)
    victim = alive.pop(0)
    applied = eventually(lambda: handled(victim), lambda n: n > 0, what="the victim has applied events")
    victim.kill()
    note(f"SIGKILL a member that had applied {applied} events")
    load.at(0.75)
    alive += start_services(service, env=FAST, database_url=shared)
    note("another member joined")
    load.join(timeout=LOAD_S + 300)
    assert not load.failures, load.failures
    note(f"load done: {len(load.registered)} registrations")

    eventually(lambda: caught_up([intake, *alive]), bool, timeout=240, what="the group caught up")
    note("caught up")

    # Every event of intake's topic that this service handles is in the group's inbox exactly once
    # (the inbox's primary key is the event id), and nothing else is.
    on_topic = events_by_type(topic_records(kafka_bootstrap, f"{topic_namespace}intake.beneficiaries"))
    with create_engine(shared).connect() as db:
        rows = db.execute(text("SELECT event_type, CAST(event_id AS TEXT) FROM inbox")).all()
    inbox: dict[str, set[str]] = defaultdict(set)
    for event_type, event_id in rows:
        inbox[event_type].add(event_id)
    assert len(rows) == sum(len(ids) for ids in inbox.values())
    assert "intake.referral_made" in inbox  # both services handle it
    for event_type, ids in inbox.items():
        assert ids == on_topic[event_type], f"{event_type}: skipped or foreign events in the inbox"

    if service == "reporting":
        summary = httpx.get(f"{alive[0].url}/v1/registrations/summary", headers=MANAGER, timeout=10).json()
        funnel = {
            s["stage"]: s["people"]
            for s in httpx.get(f"{alive[0].url}/v1/funnel", headers=MANAGER, timeout=10).json()["stages"]
        }
        seen = {"people counted": summary["total"], "people referred": funnel["referred"]}
        truth = {"people counted": len(load.registered), "people referred": len(set().union(*load.referred.values()))}
    else:
        seen = {
            "candidates": sum(
                httpx.get(
                    f"{alive[0].url}/v1/candidates", headers=TRAINER, params={"limit": 1, "status": s}, timeout=10
                ).json()["total"]
                for s in ("pending", "accepted", "declined")
            )
        }
        truth = {"candidates": len(load.referred["training"])}

    print(f"\n--- {service}: {PEOPLE} people over {LOAD_S:.0f}s, members of one group on one PostgreSQL ---")
    print("\n".join(log))
    print(f"inbox: {len(rows)} events, each once; by type: {dict(Counter({t: len(i) for t, i in inbox.items()}))}")
    print("applied by the surviving members: " + ", ".join(str(handled(m)) for m in alive))
    for what in truth:
        print(f"  {what:20} truth {truth[what]:5}  seen {seen[what]:5}")
    assert seen == truth
    assert load.cut_off == 0


@pytest.mark.timeout(600)
@pytest.mark.parametrize("database_for", ["postgresql"], indirect=True)
def test_the_relay_leader_killed_another_replica_publishes_every_event_once_in_order(
    start_services, postgres_server_url, topic_namespace, kafka_bootstrap
):
    rng = random.Random(SEED + 1)
    shared = fresh_postgres_database(postgres_server_url)
    intakes = start_services("intake", "intake", env=FAST, database_url=shared)

    def leads(replica) -> bool:
        body = httpx.get(f"{replica.url}/metrics", timeout=5).text
        return 'w4l_outbox_relay_leader{service="intake"} 1.0' in body

    leader = eventually(lambda: [r for r in intakes if leads(r)], lambda found: len(found) == 1, what="one leader")[0]
    standby = next(r for r in intakes if r is not leader)
    load = Load(intakes, rng)
    load.start()
    load.at(0.5)
    load.alive = [standby]
    leader.kill()
    killed_at = time.monotonic()
    eventually(lambda: leads(standby), bool, timeout=60, what="the standby took over")
    takeover_s = time.monotonic() - killed_at
    restarted = start_services("intake", env=FAST, database_url=shared)[0]  # back, as a standby
    load.join(timeout=LOAD_S + 300)
    assert not load.failures, load.failures

    with create_engine(shared).connect() as db:

        def pending() -> int:
            return db.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar_one()

        eventually(pending, lambda n: n == 0, timeout=120, what="the outbox emptied")
        outbox = db.execute(
            text("SELECT CAST(event_id AS TEXT), key FROM outbox WHERE topic LIKE :t ORDER BY seq"),
            {"t": "%intake.beneficiaries"},
        ).all()
    records = topic_records(kafka_bootstrap, f"{topic_namespace}intake.beneficiaries")
    ids = [dict(r.headers)[HEADER_EVENT_ID].decode() for r in records]

    doubled = [i for i, n in Counter(ids).items() if n > 1]
    assert not doubled, f"{len(doubled)} events published twice"
    assert set(ids) == {e for e, _ in outbox}, "the topic and the outbox differ"
    in_outbox: dict[str, list[str]] = defaultdict(list)
    for event_id, key in outbox:
        in_outbox[key].append(event_id)
    on_topic: dict[str, list[str]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        on_topic[r.key.decode()].append(dict(r.headers)[HEADER_EVENT_ID].decode())
    assert on_topic == in_outbox, "a person's events are out of order on the topic"

    reconciled = sum(
        "not marked published" in line for r in (standby, restarted) for line in r.log_path.read_text().splitlines()
    )
    print(f"\n--- outbox relay: two intake replicas on one PostgreSQL, {PEOPLE} people over {LOAD_S:.0f}s ---")
    print(
        f"events in the outbox: {len(outbox)}; on the topic: {len(ids)}, each once, in order for each of "
        f"{len(in_outbox)} people; the standby led {takeover_s:.1f}s after the SIGKILL; requests cut off by it: "
        f"{load.cut_off}; reconciliations that found unmarked events: {reconciled}"
    )
    assert leads(standby) and not leads(restarted)
