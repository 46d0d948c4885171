"""The consumer applies each event once, dead-letters what it cannot process and carries on,
and refuses to move past a record when the infrastructure fails."""

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Field, Session, SQLModel, select

from work4life.contracts.envelope import Producer
from work4life.contracts.intake import BeneficiaryRegistered
from work4life.contracts.topics import DEAD_LETTER_HEADER_REASON, DEAD_LETTER_HEADER_SOURCE_OFFSET
from work4life.runtime.consumer import EventConsumer, InfrastructureFailure, resume_offsets
from work4life.runtime.events import encode, new_envelope
from work4life.runtime.inbox import ProcessedEvent
from work4life.runtime.metrics import ServiceMetrics

from ..conftest import registration


class CountedPerson(SQLModel, table=True):
    __tablename__ = "test_counted_person"
    beneficiary_id: str = Field(primary_key=True)


@dataclass
class Rec:
    value: bytes | None
    offset: int = 0
    topic: str = "intake.beneficiaries"
    partition: int = 0
    key: bytes | None = b"k"
    headers: Any = ()


@dataclass
class DeadLetters:
    sent: list[tuple[str, bytes | None, bytes | None, dict[str, str]]] = field(default_factory=list)
    fail: bool = False

    async def publish(self, topic, key, value, headers) -> None:
        if self.fail:
            raise ConnectionError("Kafka unreachable")
        self.sent.append((topic, key, value, headers))


def event_bytes(**overrides: Any) -> bytes:
    data = registration(sex="male", birth_year=2001, nationality="GIN", legal_status="other_migrant", **overrides)
    envelope = new_envelope(data, key=str(data.beneficiary_id), producer=Producer(service="intake", organisation="org"))
    return encode(envelope)


def count_person(envelope, session: Session) -> None:
    session.add(CountedPerson(beneficiary_id=str(envelope.data.beneficiary_id)))


def make_consumer(engine, dead_letters: DeadLetters, handler=count_person, **kwargs) -> EventConsumer:
    return EventConsumer(
        group_id="reporting",
        engine=engine,
        handlers={BeneficiaryRegistered: handler},
        dead_letter_topic="reporting.dead_letters",
        publish_dead_letter=dead_letters.publish,
        metrics=ServiceMetrics("reporting"),
        retry_backoff_s=0,
        infrastructure_backoff_s=0,
        **kwargs,
    )


def people(engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(CountedPerson)).all())


async def test_the_same_event_delivered_twice_is_applied_once(engine):
    consumer = make_consumer(engine, DeadLetters())
    value = event_bytes()
    assert await consumer.handle_record(Rec(value, offset=1)) == "processed"
    assert await consumer.handle_record(Rec(value, offset=2)) == "duplicate"
    assert people(engine) == 1
    with Session(engine) as session:
        assert len(session.exec(select(ProcessedEvent)).all()) == 1


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"not json at all", "invalid_envelope"),
        (b"", "empty_message"),
        (json.dumps({"event_type": "intake.beneficiary_registered"}).encode(), "invalid_envelope"),
    ],
)
async def test_a_malformed_message_is_dead_lettered_and_the_next_one_is_processed(engine, value, reason):
    dead = DeadLetters()
    consumer = make_consumer(engine, dead)
    assert await consumer.handle_record(Rec(value, offset=7)) == "dead_lettered"
    assert await consumer.handle_record(Rec(event_bytes(), offset=8)) == "processed"
    assert people(engine) == 1
    [(topic, key, original, headers)] = dead.sent
    assert topic == "reporting.dead_letters"
    assert original == value and key == b"k"
    assert headers[DEAD_LETTER_HEADER_REASON] == reason
    assert headers[DEAD_LETTER_HEADER_SOURCE_OFFSET] == "7"


async def test_a_payload_that_breaks_its_schema_is_dead_lettered_naming_the_field(engine):
    raw = json.loads(event_bytes())
    raw["data"]["birth_year"] = "nineteen ninety"
    dead = DeadLetters()
    consumer = make_consumer(engine, dead)
    assert await consumer.handle_record(Rec(json.dumps(raw).encode())) == "dead_lettered"
    headers = dead.sent[0][3]
    assert headers[DEAD_LETTER_HEADER_REASON] == "invalid_payload"
    assert "birth_year" in headers["w4l-dlq-error"]


async def test_an_unknown_event_type_is_skipped_not_dead_lettered_and_counted_by_type(engine, caplog):
    raw = json.loads(event_bytes())
    raw["event_type"] = "intake.something_new"
    newer = json.loads(event_bytes())
    newer["schema_version"] = 9
    dead = DeadLetters()
    consumer = make_consumer(engine, dead)
    assert await consumer.handle_record(Rec(json.dumps(raw).encode())) == "unknown"
    assert await consumer.handle_record(Rec(json.dumps(raw).encode(), offset=2)) == "unknown"
    assert await consumer.handle_batch([Rec(json.dumps(newer).encode(), offset=3)]) == ["unknown"]
    assert dead.sent == [] and people(engine) == 0
    registry = consumer.metrics.registry
    count = lambda t, v: registry.get_sample_value(  # noqa: E731
        "w4l_events_unknown_total", {"service": "reporting", "event_type": t, "schema_version": v}
    )
    assert count("intake.something_new", "1") == 2
    assert count("intake.beneficiary_registered", "9") == 1
    warnings = [r.getMessage() for r in caplog.records if "these contracts do not know" in r.getMessage()]
    assert len(warnings) == 2  # once per kind, not once per event


async def test_a_known_event_type_this_service_does_not_handle_is_ignored_not_unknown(engine):
    from work4life.contracts.intake import ConsentGiven

    consumer = make_consumer(engine, DeadLetters())
    consumer.types = type(consumer.types).of([ConsentGiven])  # it handles another type only
    assert await consumer.handle_record(Rec(event_bytes())) == "ignored"
    assert (
        consumer.metrics.registry.get_sample_value(
            "w4l_events_unknown_total",
            {"service": "reporting", "event_type": "intake.beneficiary_registered", "schema_version": "1"},
        )
        is None
    )


async def test_a_failing_handler_is_retried_then_dead_lettered_without_partial_effects(engine):
    attempts = 0

    def half_done_then_fails(envelope, session):
        nonlocal attempts
        attempts += 1
        count_person(envelope, session)
        raise RuntimeError("bug in handler")

    dead = DeadLetters()
    consumer = make_consumer(engine, dead, handler=half_done_then_fails, max_attempts=3)
    assert await consumer.handle_record(Rec(event_bytes())) == "dead_lettered"
    assert attempts == 3
    assert people(engine) == 0
    assert dead.sent[0][3][DEAD_LETTER_HEADER_REASON] == "handler_error"
    assert "bug in handler" in dead.sent[0][3]["w4l-dlq-error"]


async def test_a_handler_that_fails_once_succeeds_on_retry(engine):
    attempts = 0

    def flaky(envelope, session):
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("transient")
        count_person(envelope, session)

    consumer = make_consumer(engine, DeadLetters(), handler=flaky)
    assert await consumer.handle_record(Rec(event_bytes())) == "processed"
    assert people(engine) == 1


async def test_when_the_database_is_down_the_record_is_read_again_not_skipped(engine):
    def database_down(envelope, session):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    dead = DeadLetters()
    consumer = make_consumer(engine, dead, handler=database_down)
    with pytest.raises(InfrastructureFailure):
        await consumer.handle_record(Rec(event_bytes()))
    assert dead.sent == []


async def test_when_the_dead_letter_topic_is_unwritable_the_record_is_read_again(engine):
    consumer = make_consumer(engine, DeadLetters(fail=True))
    with pytest.raises(InfrastructureFailure):
        await consumer.handle_record(Rec(b"garbage"))


# -- batches: one transaction per poll, the same guarantees per event ---------------------------


def commits(engine) -> list[int]:
    """Counts the transactions committed on `engine` from now on."""
    from sqlalchemy import event

    counted = [0]
    event.listen(engine, "commit", lambda _connection: counted.__setitem__(0, counted[0] + 1))
    return counted


async def test_a_batch_is_applied_in_one_transaction_and_a_duplicate_inside_it_once(either_engine):
    engine = either_engine
    consumer = make_consumer(engine, DeadLetters())
    already = event_bytes()
    assert await consumer.handle_record(Rec(already, offset=0)) == "processed"
    values = [event_bytes() for _ in range(50)]
    batch = [Rec(v, offset=i + 1) for i, v in enumerate(values)]
    batch.insert(10, Rec(values[3], offset=99))  # the same event published twice
    batch.append(Rec(already, offset=100))  # and one the inbox holds from an earlier poll
    counted = commits(engine)
    outcomes = await consumer.handle_batch(batch)
    assert counted == [1]
    assert outcomes.count("processed") == 50
    assert outcomes[10] == "duplicate" and outcomes[-1] == "duplicate"
    assert people(engine) == 51
    registry, labels = (
        consumer.metrics.registry,
        {"service": "reporting", "event_type": BeneficiaryRegistered.EVENT_TYPE},
    )
    assert registry.get_sample_value("w4l_events_handled_total", {**labels, "outcome": "processed"}) == 51
    assert registry.get_sample_value("w4l_events_handled_total", {**labels, "outcome": "duplicate"}) == 2
    assert registry.get_sample_value("w4l_event_handler_duration_seconds_count", labels) == 53
    with Session(engine) as session:
        assert len(session.exec(select(ProcessedEvent)).all()) == 51


async def test_a_failing_event_in_a_batch_is_dead_lettered_alone_and_the_others_applied(either_engine):
    engine = either_engine
    poison = event_bytes(partner_organisation="poison")

    def fails_on_poison(envelope, session):
        if envelope.data.partner_organisation == "poison":
            raise RuntimeError("bug in handler")
        count_person(envelope, session)

    dead = DeadLetters()
    consumer = make_consumer(engine, dead, handler=fails_on_poison)
    batch = [Rec(event_bytes(), offset=0), Rec(poison, offset=1), Rec(event_bytes(), offset=2)]
    assert await consumer.handle_batch(batch) == ["processed", "dead_lettered", "processed"]
    assert people(engine) == 2
    [(_, _, original, headers)] = dead.sent
    assert original == poison and headers[DEAD_LETTER_HEADER_SOURCE_OFFSET] == "1"


async def test_malformed_records_in_a_batch_are_dead_lettered_after_its_commit(engine):
    dead = DeadLetters()
    consumer = make_consumer(engine, dead)
    batch = [Rec(b"garbage", offset=0), Rec(event_bytes(), offset=1), Rec(b"", offset=2)]
    assert await consumer.handle_batch(batch) == ["dead_lettered", "processed", "dead_lettered"]
    assert people(engine) == 1
    assert [headers[DEAD_LETTER_HEADER_SOURCE_OFFSET] for *_, headers in dead.sent] == ["0", "2"]


async def test_when_the_database_is_down_the_whole_batch_is_unfinished(engine):
    def database_down(envelope, session):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    dead = DeadLetters()
    consumer = make_consumer(engine, dead, handler=database_down)
    batch = [Rec(b"garbage", offset=4), Rec(event_bytes(), offset=5)]
    with pytest.raises(InfrastructureFailure) as failure:
        await consumer.handle_batch(batch)
    assert list(failure.value.unfinished) == batch
    assert dead.sent == []  # the malformed record is dead-lettered when the batch is read again


async def test_when_dead_letters_fail_after_the_commit_only_those_records_are_read_again(engine):
    consumer = make_consumer(engine, DeadLetters(fail=True))
    batch = [Rec(event_bytes(), offset=3), Rec(b"garbage", offset=4), Rec(event_bytes(), offset=5, partition=1)]
    with pytest.raises(InfrastructureFailure) as failure:
        await consumer.handle_batch(batch)
    assert people(engine) == 2
    assert list(failure.value.unfinished) == [batch[1]]
    assert resume_offsets(failure.value.unfinished) == {("intake.beneficiaries", 0): 4}


class Deadlock(Exception):
    """What psycopg raises when PostgreSQL breaks a deadlock by rolling one transaction back."""

    sqlstate = "40P01"


async def test_a_batch_rolled_back_to_break_a_deadlock_is_applied_again_in_one_transaction(engine):
    """Two consumers that wait for each other (an erasure in each of their batches, say): the
    database rolls one back. That batch is applied again straight away, whole, not paused as if the
    database were down and not split into single events."""
    rolled_back = []

    def deadlocked_once(envelope, session):
        if not rolled_back:
            rolled_back.append(envelope.event_id)
            raise OperationalError("SELECT pg_advisory_xact_lock(1)", {}, Deadlock("deadlock detected"))
        count_person(envelope, session)

    dead = DeadLetters()
    consumer = make_consumer(engine, dead, handler=deadlocked_once)
    counted = commits(engine)
    outcomes = await consumer.handle_batch([Rec(event_bytes(), offset=i) for i in range(5)])
    assert outcomes == ["processed"] * 5
    assert counted == [1] and people(engine) == 5 and dead.sent == []
    assert len(rolled_back) == 1


async def test_a_batch_rolled_back_again_and_again_pauses_like_a_database_that_is_down(engine):
    def always_deadlocked(envelope, session):
        raise OperationalError("SELECT pg_advisory_xact_lock(1)", {}, Deadlock("deadlock detected"))

    dead = DeadLetters()
    consumer = make_consumer(engine, dead, handler=always_deadlocked)
    batch = [Rec(event_bytes(), offset=i) for i in range(3)]
    with pytest.raises(InfrastructureFailure) as failure:
        await consumer.handle_batch(batch)
    assert list(failure.value.unfinished) == batch and dead.sent == [] and people(engine) == 0
