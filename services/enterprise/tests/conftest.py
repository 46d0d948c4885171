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
)
from work4life.contracts.training import CourseCompleted
from work4life.enterprise.bootstrap import build
from work4life.enterprise.config import EnterpriseSettings
from work4life.runtime.events import encode, headers_for, new_envelope
from work4life.runtime.testing import TEST_JWT_SECRET, app_client, bearer, kafka_connected

ORG = "incubator-oujda"
APPLIED = date(2026, 2, 10)
INTAKE = Producer(service="intake", organisation="amappe-oujda")
TRAINING = Producer(service="training", organisation="ofppt-oujda")


class Clock:
    def __init__(self, today: date) -> None:
        self.value = today

    def __call__(self) -> date:
        return self.value


def venture_body(members: list[UUID], **overrides) -> dict:
    body = {
        "name": "Couscous Bladi",
        "kind": "micro_enterprise",
        "sector": "agrifood",
        "region": "oriental",
        "city": "Oujda",
        "members": [str(m) for m in members],
        "other_members": 0,
        "applied_on": APPLIED.isoformat(),
    }
    body.update(overrides)
    return body


PLAN = {
    "investment_need_mad": "80000.00",
    "own_contribution_mad": "20000.00",
    "grant_requested_mad": "60000.00",
    "expected_jobs": 3,
    "expected_monthly_revenue_mad": "12000.00",
    "summary": "A workshop rolling couscous for shops in Oujda.",
}

GRANT = {
    "approved_mad": "60000.00",
    "tranches": [
        {"amount_mad": "36000.00", "milestone": "Premises rented and equipment ordered"},
        {"amount_mad": "24000.00", "milestone": "First sales invoiced"},
    ],
}


def committee(on: date = APPLIED + timedelta(days=2)) -> dict:
    return {"decided_on": on.isoformat(), "committee": "Comité de sélection Oujda, session 3", "score": 74}


def enterprise_settings(**overrides) -> EnterpriseSettings:
    return EnterpriseSettings(auth_jwt_secret=TEST_JWT_SECRET, log_json=False, organisation=ORG, **overrides)


class Published:
    def __init__(self) -> None:
        self.events: list[dict] = []
        self.dead_letters: list[dict[str, str]] = []

    def of_type(self, event_type: str) -> list[dict]:
        return [e for e in self.events if e["event_type"] == event_type]

    async def settle(self, event_type: str, count: int = 1) -> list[dict]:
        for _ in range(250):
            if len(self.of_type(event_type)) >= count:
                break
            await asyncio.sleep(0.02)
        return self.of_type(event_type)


class Upstream:
    """Publishes what intake and training would, on the in-memory broker."""

    def __init__(self, broker) -> None:
        self.broker = broker
        self.sent: list = []

    async def send(self, data, key: UUID, topic: str = "intake.beneficiaries", producer: Producer = INTAKE) -> None:
        envelope = new_envelope(data, key=str(key), producer=producer)
        self.sent.append((topic, envelope))
        await self.broker.publish(encode(envelope), topic=topic, key=str(key).encode(), headers=headers_for(envelope))

    async def resend(self, index: int = -1) -> None:
        topic, envelope = self.sent[index]
        await self.broker.publish(
            encode(envelope), topic=topic, key=envelope.key.encode(), headers=headers_for(envelope)
        )

    async def refer(self, who: UUID | None = None, consent: bool = True, trained: bool = True) -> UUID:
        """A person referred to enterprise support (with consent), who completed financial education."""
        who = who or uuid4()
        if consent:
            await self.send(
                ConsentGiven(
                    beneficiary_id=who,
                    consent_id=uuid4(),
                    purpose=ConsentPurpose.REFERRAL,
                    organisation="enterprise",
                    notice_version="2026-01",
                    given_on=APPLIED,
                ),
                who,
            )
        await self.send(
            ReferralMade(
                referral_id=uuid4(),
                beneficiary_id=who,
                service="enterprise",
                reason=ReferralReason.ENTERPRISE_SUPPORT,
                made_on=APPLIED - timedelta(days=10),
                partner_organisation="amappe-oujda",
                region="oriental",
            ),
            who,
        )
        if trained:
            await self.complete_course(who)
        return who

    async def complete_course(self, who: UUID, kind: str = "financial_education") -> None:
        await self.send(
            CourseCompleted(
                enrolment_id=uuid4(),
                beneficiary_id=who,
                cohort_id=uuid4(),
                course_id=uuid4(),
                course_kind=kind,
                sector="cross_sector",
                region="oriental",
                organisation="ofppt-oujda",
                completed_on=APPLIED,
                hours=30,
                attendance_rate=0.9,
            ),
            who,
            topic="training.enrolments",
            producer=TRAINING,
        )

    async def withdraw(self, who: UUID) -> None:
        await self.send(
            ConsentWithdrawn(
                beneficiary_id=who,
                consent_id=uuid4(),
                purpose=ConsentPurpose.REFERRAL,
                organisation="enterprise",
                withdrawn_on=APPLIED,
            ),
            who,
        )

    async def erase(self, who: UUID) -> None:
        await self.send(BeneficiaryErased(beneficiary_id=who, erased_on=APPLIED), who)

    async def merge(self, kept: UUID, retired: UUID) -> None:
        await self.send(
            BeneficiariesMerged(kept_beneficiary_id=kept, merged_beneficiary_id=retired, merged_on=APPLIED), retired
        )


@asynccontextmanager
async def running(settings: EnterpriseSettings, broker=None, clock: Clock | None = None):
    app = build(settings, broker=broker, today=clock or Clock(APPLIED + timedelta(days=60)))
    async with app_client(app, "http://enterprise") as client:
        client.headers.update(bearer("caseworker", ORG))
        yield client, app


@asynccontextmanager
async def started_enterprise(database_url: str, clock: Clock | None = None, **overrides):
    """Enterprise on FastStream's in-memory broker: (client as a caseworker of ORG, upstream stub,
    what enterprise published, clock)."""
    from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker

    broker = KafkaBroker()
    published = Published()

    @broker.subscriber("enterprise.ventures")
    async def ventures(msg: KafkaMessage) -> None:
        published.events.append(json.loads(msg.raw_message.value))

    @broker.subscriber("enterprise.referral_answers")
    async def answers(msg: KafkaMessage) -> None:
        published.events.append(json.loads(msg.raw_message.value))

    @broker.subscriber("enterprise.dead_letters")
    async def dead_letters(msg: KafkaMessage) -> None:
        published.dead_letters.append({k: v.decode() for k, v in msg.raw_message.headers})

    clock = clock or Clock(APPLIED + timedelta(days=5))
    settings = enterprise_settings(
        database_url=database_url, create_topics=False, consumer_retry_backoff_s=0, **overrides
    )
    async with TestKafkaBroker(broker), running(settings, broker, clock) as (client, app):
        await kafka_connected(app)
        yield client, Upstream(broker), published, clock


async def new_venture(client, upstream, size: int = 1, **overrides) -> dict:
    members = [await upstream.refer() for _ in range(size)]
    response = await client.post("/v1/ventures", json=venture_body(members, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def to_stage(client, venture: dict, *stages: str) -> dict:
    """Move a venture through the given stages (selection stages with a committee decision)."""
    for stage in stages:
        body: dict = {"to": stage}
        if stage in ("pre_incubation", "incubation", "rejected"):
            body["committee"] = committee()
        if stage in ("rejected", "abandoned"):
            body["reason"] = "not_viable" if stage == "rejected" else "lost_interest"
        response = await client.post(f"/v1/ventures/{venture['venture_id']}/transitions", json=body)
        assert response.status_code == 200, response.text
        venture = response.json()
    return venture
