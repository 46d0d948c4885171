"""A relay taking over reads the tail of the real topic to find what its predecessor published."""

import uuid

import pytest
from kafka import KafkaProducer
from sqlmodel import Session, col, select

from work4life.contracts.envelope import HEADER_EVENT_ID
from work4life.runtime import db
from work4life.runtime.broker import ensure_topics
from work4life.runtime.outbox import OutboxMessage, tail_event_ids

from ..conftest import stage_outbox

pytestmark = pytest.mark.integration


def test_the_ids_already_on_the_topic_are_found_at_its_tail(kafka_bootstrap, tmp_path):
    topic = f"t{uuid.uuid4().hex[:10]}.intake.beneficiaries"
    ensure_topics(kafka_bootstrap, [topic], partitions=3)
    engine = db.make_engine(f"sqlite:///{tmp_path}/outbox.db")
    db.create_schema(engine)
    stage_outbox(engine, 6, topic=topic)
    with Session(engine) as session:
        rows = list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.seq))))
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    # Records of other events first (older history), then the first three rows, as a dying relay left them.
    for _ in range(20):
        producer.send(topic, key=b"other", value=b"{}", headers=[(HEADER_EVENT_ID, str(uuid.uuid4()).encode())])
    for row in rows[:3]:
        producer.send(
            topic, key=row.key.encode(), value=row.payload, headers=[(HEADER_EVENT_ID, str(row.event_id).encode())]
        )
    producer.flush(30)
    producer.close()

    assert tail_event_ids(rows, 10, bootstrap_servers=kafka_bootstrap) == {row.event_id for row in rows[:3]}
    assert tail_event_ids(rows[3:], 10, bootstrap_servers=kafka_bootstrap) == set()
