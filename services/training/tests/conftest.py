import asyncio
import json
from contextlib import asynccontextmanager
from datetime import date, timedelta
from uuid import UUID, uuid4

from work4life.contracts.envelope import Producer
from work4life.contracts.intake import (
    BeneficiariesMerged,
    BeneficiaryErased,
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
    ReferralMade,
    ReferralReason,
    ReferralStatus,
    ReferralStatusChanged,
)
from work4life.runtime.events import encode, headers_for, new_envelope
from work4life.runtime.testing import TEST_JWT_SECRET, app_client, bearer, kafka_connected
from work4life.training.bootstrap import build
from work4life.training.config import TrainingSettings

ORG = "ofppt-rabat"
INTAKE = Producer(service="intake", organisation="amappe-rabat")
START = date(2026, 3, 2)  # a Monday


class Clock:
    """The service's 'today', moved by the test."""

    def __init__(self, today: date) -> None:
        self.value = today

    def __call__(self) -> date:
        return self.value


def course_body(**overrides) -> dict:
    body = {
        "title": "Couture et retouche",
        "kind": "vocational",
        "provider": "OFPPT Rabat",
        "hours": 120,
        "certifying": True,
        "sector": "textiles_and_clothing",
    }
    body.update(overrides)
    return body


def cohort_body(session_count: int = 10, **overrides) -> dict:
    """A cohort starting on START with `session_count` sessions, one every weekday."""
    days = [START + timedelta(days=i) for i in range(session_count * 2) if (START + timedelta(days=i)).weekday() < 5]
    days = days[:session_count]
    body = {
        "label": "Couture Rabat printemps 2026",
        "starts_on": START.isoformat(),
        "ends_on": (days[-1] if days else START).isoformat(),
        "region": "rabat_sale_kenitra",
        "place": "Centre OFPPT, Hay Riad, Rabat",
        "capacity": 3,
        "trainer": "Mme Bennani",
        "sessions": [{"held_on": d.isoformat(), "starts_at": "09:00:00", "hours": 3} for d in days],
    }
    body.update(overrides)
    return body


def training_settings(**overrides) -> TrainingSettings:
    return TrainingSettings(auth_jwt_secret=TEST_JWT_SECRET, log_json=False, organisation=ORG, **overrides)


class Published:
    """What training published on the in-memory broker, decoded, in order."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.dead_letters: list[dict[str, str]] = []  # headers of each dead letter

    def of_type(self, event_type: str) -> list[dict]:
        return [e for e in self.events if e["event_type"] == event_type]

    async def settle(self, event_type: str, count: int = 1) -> list[dict]:
        for _ in range(250):
            if len(self.of_type(event_type)) >= count:
                break
            await asyncio.sleep(0.02)
        return self.of_type(event_type)


class IntakeStub:
    """Publishes what intake would, on the in-memory broker."""

    def __init__(self, broker, topic: str = "intake.beneficiaries") -> None:
        self.broker = broker
        self.topic = topic
        self.sent: list = []

    async def send(self, data, key: UUID) -> None:
        envelope = new_envelope(data, key=str(key), producer=INTAKE)
        self.sent.append(envelope)
        await self.broker.publish(
            encode(envelope), topic=self.topic, key=str(key).encode(), headers=headers_for(envelope)
        )

    async def resend(self, index: int = -1) -> None:
        envelope = self.sent[index]
        await self.broker.publish(
            encode(envelope), topic=self.topic, key=envelope.key.encode(), headers=headers_for(envelope)
        )

    async def refer(
        self,
        who: UUID | None = None,
        reason: ReferralReason = ReferralReason.VOCATIONAL_TRAINING,
        region: str = "rabat_sale_kenitra",
        consent: bool = True,
    ) -> tuple[UUID, UUID]:
        who = who or uuid4()
        if consent:
            await self.send(
                ConsentGiven(
                    beneficiary_id=who,
                    consent_id=uuid4(),
                    purpose=ConsentPurpose.REFERRAL,
                    organisation="training",
                    notice_version="2026-01",
                    given_on=START,
                ),
                who,
            )
        referral_id = uuid4()
        await self.send(
            ReferralMade(
                referral_id=referral_id,
                beneficiary_id=who,
                service="training",
                reason=reason,
                made_on=START - timedelta(days=7),
                partner_organisation="amappe-rabat",
                region=region,
            ),
            who,
        )
        return who, referral_id

    async def withdraw(self, who: UUID, purpose: ConsentPurpose = ConsentPurpose.REFERRAL) -> None:
        await self.send(
            ConsentWithdrawn(
                beneficiary_id=who,
                consent_id=uuid4(),
                purpose=purpose,
                organisation="training" if purpose is ConsentPurpose.REFERRAL else None,
                withdrawn_on=START,
            ),
            who,
        )

    async def erase(self, who: UUID) -> None:
        await self.send(BeneficiaryErased(beneficiary_id=who, erased_on=START), who)

    async def merge(self, kept: UUID, retired: UUID) -> None:
        await self.send(
            BeneficiariesMerged(kept_beneficiary_id=kept, merged_beneficiary_id=retired, merged_on=START), retired
        )

    async def cancel(self, who: UUID, referral_id: UUID) -> None:
        await self.send(
            ReferralStatusChanged(
                referral_id=referral_id, beneficiary_id=who, status=ReferralStatus.CANCELLED, changed_on=START
            ),
            who,
        )


@asynccontextmanager
async def running(settings: TrainingSettings, broker=None, clock: Clock | None = None, as_role: str = "caseworker"):
    clock = clock or Clock(START + timedelta(days=60))
    app = build(settings, broker=broker, today=clock)
    async with app_client(app, "http://training") as client:
        client.headers.update(bearer(as_role, ORG))
        yield client, app


@asynccontextmanager
async def started_training(database_url: str, clock: Clock | None = None, **overrides):
    """Training on FastStream's in-memory broker: (client as a caseworker of ORG, intake stub,
    what training published, clock)."""
    from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker

    broker = KafkaBroker()
    published = Published()

    @broker.subscriber("training.enrolments")
    async def enrolments(msg: KafkaMessage) -> None:
        published.events.append(json.loads(msg.raw_message.value))

    @broker.subscriber("training.referral_answers")
    async def answers(msg: KafkaMessage) -> None:
        published.events.append(json.loads(msg.raw_message.value))

    @broker.subscriber("training.dead_letters")
    async def dead_letters(msg: KafkaMessage) -> None:
        published.dead_letters.append({k: v.decode() for k, v in msg.raw_message.headers})

    clock = clock or Clock(START - timedelta(days=3))
    settings = training_settings(
        database_url=database_url, create_topics=False, consumer_retry_backoff_s=0, **overrides
    )
    async with TestKafkaBroker(broker), running(settings, broker, clock) as (client, app):
        await kafka_connected(app)
        yield client, IntakeStub(broker), published, clock


async def new_cohort(client, sessions: int = 10, course: dict | None = None, **overrides) -> tuple[dict, dict]:
    made = await client.post("/v1/courses", json=course or course_body())
    assert made.status_code == 201, made.text
    cohort = await client.post(
        f"/v1/courses/{made.json()['course_id']}/cohorts", json=cohort_body(sessions, **overrides)
    )
    assert cohort.status_code == 201, cohort.text
    return made.json(), cohort.json()
