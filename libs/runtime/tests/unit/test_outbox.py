"""The outbox keeps events with the state change, and the relay publishes them in order,
holding them while Kafka refuses and publishing them once it accepts again."""

from sqlmodel import Session, col, select

from work4life.contracts.envelope import Producer
from work4life.runtime.events import new_envelope
from work4life.runtime.metrics import ServiceMetrics
from work4life.runtime.outbox import OutboxMessage, OutboxRelay, add_to_outbox

from ..conftest import registration, stage_outbox

PRODUCER = Producer(service="intake", organisation="test-org")


class FlakyKafka:
    def __init__(self) -> None:
        self.up = True
        self.sent: list[OutboxMessage] = []

    async def publish(self, row: OutboxMessage) -> None:
        if not self.up:
            raise ConnectionError("Kafka unreachable")
        self.sent.append(row)


def test_an_event_staged_in_a_rolled_back_transaction_is_never_published(engine):
    with Session(engine) as session:
        data = registration()
        add_to_outbox(session, "intake.beneficiaries", new_envelope(data, key="k", producer=PRODUCER))
        session.rollback()
    with Session(engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []


async def test_relay_publishes_pending_rows_in_the_order_they_were_committed(engine):
    keys = stage_outbox(engine, 5)
    kafka = FlakyKafka()
    relay = OutboxRelay(engine, kafka.publish, ServiceMetrics("intake"))
    assert await relay.publish_pending() == 5
    assert [row.key for row in kafka.sent] == keys
    assert relay.backlog() == (0, 0.0)
    assert await relay.publish_pending() == 0  # nothing is sent twice


async def test_relay_holds_events_while_kafka_is_down_and_publishes_them_when_it_is_back(engine):
    stage_outbox(engine, 3)
    kafka = FlakyKafka()
    kafka.up = False
    metrics = ServiceMetrics("intake")
    relay = OutboxRelay(engine, kafka.publish, metrics)

    assert await relay.publish_pending() == 0
    assert await relay.publish_pending() == 0
    pending, _age = relay.backlog()
    assert pending == 3
    assert metrics.outbox_pending._value.get() == 3
    assert metrics.outbox_failures._value.get() == 2
    with Session(engine) as session:
        head = session.exec(select(OutboxMessage).order_by(OutboxMessage.seq)).first()
        assert head.attempts == 2 and "Kafka unreachable" in head.last_error

    kafka.up = True
    assert await relay.publish_pending() == 3
    assert relay.backlog()[0] == 0
    assert metrics.outbox_published._value.get() == 3


async def test_relay_stops_at_the_first_failure_so_later_events_never_overtake_it(engine):
    keys = stage_outbox(engine, 4)
    calls = 0

    async def fails_on_third(row: OutboxMessage) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise ConnectionError("broker went away")

    relay = OutboxRelay(engine, fails_on_third, ServiceMetrics("intake"))
    assert await relay.publish_pending() == 2
    with Session(engine) as session:
        pending = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.published_at).is_(None)).order_by(OutboxMessage.seq)
        ).all()
        assert [row.key for row in pending] == keys[2:]


class OutOfOrderSequenceNumber(Exception):
    """Named like aiokafka's: what an idempotent producer raises forever once its sequence is lost."""


async def test_a_producer_that_lost_its_sequence_is_replaced_and_the_rows_go_out(engine):
    stage_outbox(engine, 3)
    resets: list[str] = []

    class LostProducer:
        def __init__(self) -> None:
            self.sent: list[OutboxMessage] = []

        async def publish(self, row: OutboxMessage) -> None:
            if not resets:  # until replaced, every send fails
                raise OutOfOrderSequenceNumber()
            self.sent.append(row)

    kafka = LostProducer()

    async def reset() -> None:
        resets.append("new producer")

    relay = OutboxRelay(engine, kafka.publish, ServiceMetrics("intake"), reset_producer=reset)
    assert await relay.publish_pending() == 0
    assert resets == ["new producer"]
    assert await relay.publish_pending() == 3
    assert len(kafka.sent) == 3


async def test_an_ordinary_outage_does_not_replace_the_producer(engine):
    stage_outbox(engine, 1)
    kafka = FlakyKafka()
    kafka.up = False
    resets: list[int] = []

    async def reset() -> None:
        resets.append(1)

    relay = OutboxRelay(engine, kafka.publish, ServiceMetrics("intake"), reset_producer=reset)
    assert await relay.publish_pending() == 0
    assert resets == []


async def test_a_new_leader_marks_what_the_last_one_published_without_marking_instead_of_resending(engine):
    """The previous relay died after Kafka confirmed its round and before the database marked it:
    the first two rows are on the topic, the database still says pending."""
    keys = stage_outbox(engine, 5)
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.seq))).all()
    on_topic = {rows[0].event_id, rows[1].event_id}
    looked: list[tuple[int, int]] = []

    def found_on_topic(pending, lookback):
        looked.append((len(pending), lookback))
        return on_topic & {row.event_id for row in pending}

    kafka = FlakyKafka()
    relay = OutboxRelay(engine, kafka.publish, ServiceMetrics("intake"), batch_size=50, found_on_topic=found_on_topic)
    assert await relay.reconcile() == 2
    assert await relay.publish_pending() == 3
    assert [row.key for row in kafka.sent] == keys[2:]  # the rest, in order; nothing twice
    assert looked == [(5, 50)]
    assert relay.backlog() == (0, 0.0)


async def test_reconciling_fails_softly_and_is_tried_again_while_kafka_cannot_be_read(engine):
    stage_outbox(engine, 2)
    attempts = []

    def found_on_topic(pending, lookback):
        attempts.append(len(pending))
        if len(attempts) == 1:
            raise TimeoutError("Kafka unreachable")
        return set()

    kafka = FlakyKafka()
    relay = OutboxRelay(
        engine, kafka.publish, ServiceMetrics("intake"), poll_interval_s=0.01, found_on_topic=found_on_topic
    )
    relay.max_backoff_s = 0.05
    import asyncio

    task = asyncio.create_task(relay.run())
    for _ in range(200):
        if len(kafka.sent) == 2:
            break
        await asyncio.sleep(0.02)
    relay.stop()
    await task
    assert attempts == [2, 2] and len(kafka.sent) == 2  # nothing was sent before the log was checked


def test_a_commit_that_staged_an_event_wakes_the_relay_and_no_other_commit_does(engine):
    """Publishing after a commit happens in one place: no route has to remember to wake the relay."""
    from work4life.runtime.outbox import wake_on_commit

    woken = []
    wake_on_commit(engine, lambda: woken.append(1))
    envelope = lambda: new_envelope(registration(), key="k", producer=PRODUCER)  # noqa: E731
    with Session(engine) as session:
        session.commit()  # nothing staged
        assert woken == []
        add_to_outbox(session, "intake.beneficiaries", envelope())
        session.rollback()
        session.commit()
        assert woken == [], "a rolled-back event is not waited for"
        add_to_outbox(session, "intake.beneficiaries", envelope())
        add_to_outbox(session, "intake.beneficiaries", envelope())
        assert woken == [], "not before the commit"
        session.commit()
        assert woken == [1], "once per commit"
        session.commit()
        assert woken == [1]
