"""A consumer's batch (one transaction for many events: up to 2000 in reporting, 500 here to make
several batches of a small programme) must build the same read model as
the same events applied one at a time: the projection keeps registrations, changes to people and
facts in the transaction and writes them together at commit, so this checks that nothing is lost,
reordered or applied against a stale row (SQLite and PostgreSQL)."""

import logging
import zlib
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from work4life.contracts.envelope import Producer
from work4life.contracts.intake import BeneficiaryRegistered, BeneficiaryUpdated, LegalStatusChanged
from work4life.reporting.adapters.orm import Person
from work4life.reporting.entrypoints.consumer import EVENT_HANDLERS
from work4life.runtime import db, migrations
from work4life.runtime.consumer import EventConsumer
from work4life.runtime.events import new_envelope
from work4life.runtime.metrics import ServiceMetrics
from work4life.runtime.testing import records_of

from ..conftest import rollups_and_a_recount, snapshot
from ..programme import generate

pytestmark = pytest.mark.integration


def with_changes_to_people(events: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The generated programme, plus for every fifth person right after their registration: a
    legal status change, a profile change, and a profile change told late with an older time
    (which must change nothing); and every seventh registration told twice."""
    out = []
    for n, (topic, envelope) in enumerate(events):
        out.append((topic, envelope))
        data = envelope.data
        if not isinstance(data, BeneficiaryRegistered):
            continue
        at = envelope.occurred_at

        def tell(event: Any, when: Any, topic: str = topic, key: str = envelope.key) -> None:
            producer = Producer(service="intake", organisation="gen")
            out.append((topic, new_envelope(event, key=key, producer=producer, occurred_at=when)))

        if n % 5 == 0:
            tell(
                LegalStatusChanged(
                    beneficiary_id=data.beneficiary_id,
                    legal_status="refugee",
                    previous_legal_status=data.legal_status,
                    effective_on=data.registered_on,
                    reason="status_recognised",
                ),
                at + timedelta(seconds=1),
            )
            profile = data.model_dump() | {"changed_fields": ["region"]}
            tell(BeneficiaryUpdated(**{**profile, "region": "souss_massa"}), at + timedelta(seconds=2))
            tell(BeneficiaryUpdated(**{**profile, "region": "oriental", "sex": "male"}), at + timedelta(seconds=-5))
        if n % 7 == 0:
            out.append((topic, envelope))
    return out


def newest_attributes(events: list[tuple[str, Any]]) -> dict[Any, tuple[str, str, str]]:
    """(sex, region, legal status) of each person by the rule, worked out from the events alone:
    an event changes a person only if it is not older than the last one that did."""
    people: dict[Any, dict[str, Any]] = {}
    for _, envelope in events:
        data, at = envelope.data, envelope.occurred_at
        if isinstance(data, BeneficiaryRegistered | BeneficiaryUpdated | LegalStatusChanged):
            person = people.setdefault(data.beneficiary_id, {"at": at})
            if at < person["at"]:
                continue
            person["at"] = at
            if not isinstance(data, LegalStatusChanged):
                person.update(sex=data.sex.value, region=data.region.value)
            if not isinstance(data, BeneficiaryUpdated):
                person["legal_status"] = data.legal_status.value
    return {who: (p["sex"], p["region"], p["legal_status"]) for who, p in people.items()}


def consumer(url: str) -> EventConsumer:
    engine = db.make_engine(url)
    migrations.upgrade(engine, "work4life.reporting")

    async def nowhere(*_: Any) -> None:
        raise AssertionError("nothing here should be dead-lettered")

    return EventConsumer(
        group_id="reporting",
        engine=engine,
        handlers=EVENT_HANDLERS,
        dead_letter_topic="reporting.dead_letters",
        publish_dead_letter=nowhere,
        metrics=ServiceMetrics("reporting_batches_test"),
        retry_backoff_s=0,
    )


async def test_events_applied_in_batches_build_what_they_build_one_at_a_time(database_url, second_database, caplog):
    events = with_changes_to_people(generate(people=300, seed=11).events)
    records = records_of(events)
    batched, single = consumer(database_url), consumer(second_database)
    outcomes = []
    with caplog.at_level(logging.INFO, logger="work4life.runtime.consumer"):
        for start in range(0, len(records), 500):
            outcomes += await batched.handle_batch(records[start : start + 500])
    fallbacks = [r.getMessage() for r in caplog.records if "one at a time" in r.getMessage()]
    assert not fallbacks, fallbacks[0]  # every batch applied as a batch, not redone event by event
    for record in records:
        await single.handle_record(record)
    told_twice = len(records) - len({envelope.event_id for _, envelope in events})
    assert told_twice > 0 and outcomes.count("duplicate") == told_twice
    assert outcomes.count("processed") == len(records) - told_twice

    expected = newest_attributes(events)
    changed = [e.data.beneficiary_id for _, e in events if isinstance(e.data, LegalStatusChanged)]
    with Session(batched.engine) as session:
        people = session.exec(select(Person).where(col(Person.beneficiary_id).in_(changed))).all()
    assert len(people) > 40
    for person in people:  # the newer changes hold; the late older one changed nothing
        assert (person.sex, person.region, person.legal_status) == expected[person.beneficiary_id]
    assert sum(person.region == "souss_massa" for person in people) > 30

    in_batches, one_at_a_time = snapshot(database_url), snapshot(second_database)
    assert sum(one_at_a_time["person"].values()) > 250 and len(one_at_a_time["erased_person"]) > 0
    assert any("souss_massa" in row for row in one_at_a_time["person"])
    for table in one_at_a_time:
        only_batched = in_batches[table] - one_at_a_time[table]
        only_single = one_at_a_time[table] - in_batches[table]
        assert not only_batched and not only_single, (table, list(only_batched)[:3], list(only_single)[:3])
    batched.engine.dispose()
    single.engine.dispose()


def as_a_backlog(events: list[tuple[str, Any]], poll: int, partitions: int = 6) -> list[list[tuple[str, Any]]]:
    """The events in polls as a consumer reads a backlog: each topic's partition (by key, as the
    services key them) keeps its order, and a poll takes a run of records from one partition after
    another. A person's events thus come a few at a time, poll after poll, their facts often before
    their registration, and each poll brings many people's."""
    queues: dict[tuple[str, int], list[tuple[str, Any]]] = {}
    for topic, envelope in events:
        queues.setdefault((topic, zlib.crc32(envelope.key.encode()) % partitions), []).append((topic, envelope))
    order = sorted(queues, key=lambda queue: (queue[1], queue[0]))
    polls, current = [], []
    while any(queues.values()):
        for queue in order:
            run, queues[queue] = queues[queue][: poll // 5], queues[queue][poll // 5 :]
            current += run
            if len(current) >= poll:
                polls.append(current)
                current = []
    return [*polls, current] if current else polls


async def test_a_backlog_read_partition_by_partition_keeps_the_rollups_a_recount(database_url):
    """The roll-ups' recount of a person who only gained facts covers only the indicators those
    facts count for; a person whose row was written (registered late, moved, their status changed)
    has all their rows recounted. A backlog brings both mixed in every poll: after it, the roll-ups
    equal a build from every fact, row for row."""
    events = with_changes_to_people(generate(people=300, seed=12).events)
    polls = as_a_backlog(events, poll=100)
    first_seen: dict[Any, int] = {}
    registered_in: dict[Any, int] = {}
    for n, poll in enumerate(polls):
        for _, envelope in poll:
            who = getattr(envelope.data, "beneficiary_id", None)
            first_seen.setdefault(who, n)
            if isinstance(envelope.data, BeneficiaryRegistered):
                registered_in.setdefault(who, n)
    late = [who for who, n in registered_in.items() if first_seen[who] < n]
    assert len(polls) > 15 and len(late) > 30  # facts before the registration, for many people
    backlog = consumer(database_url)
    for poll in polls:
        await backlog.handle_batch(records_of(poll))
    kept, recounted = rollups_and_a_recount(database_url)
    assert len(kept["person_month"]) > 500 and len(kept["people_month"]) > 100
    for name in recounted:
        assert kept[name] == recounted[name], name
    backlog.engine.dispose()
