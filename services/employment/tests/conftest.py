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
    SkillsAssessed,
)
from work4life.contracts.training import CourseCompleted
from work4life.employment.bootstrap import build
from work4life.employment.config import EmploymentSettings
from work4life.runtime.events import encode, headers_for, new_envelope
from work4life.runtime.testing import TEST_JWT_SECRET, app_client, bearer, kafka_connected

ORG = "ajr-tanger"
TODAY = date(2026, 4, 20)
INTAKE = Producer(service="intake", organisation="amappe-tanger")
TRAINING = Producer(service="training", organisation="ofppt-tanger")

EMPLOYER = {
    "name": "Hôtel Andalucia",
    "type": "sme",
    "ownership": "mixed",
    "sector": "hospitality_and_tourism",
    "region": "tanger_tetouan_al_hoceima",
    "city": "Tanger",
    "csr_commitment": True,
    "contact_name": "Mme Rachidi",
    "contact_phone": "+212 537 123 456",
    "contact_email": "rh@andalucia.example",
}


def offer_body(**overrides) -> dict:
    body = {
        "title": "Commis de cuisine",
        "kind": "job",
        "positions": 2,
        "isco08": "9412",
        "skills": ["food preparation", "hygiene"],
        "languages": [{"code": "fr", "level": "intermediate"}],
        "education_level": "primary",
        "contract_type": "fixed_term",
        "wage_band": "3000_to_4500",
        "opens_on": "2026-04-01",
        "closes_on": "2026-06-30",
    }
    body.update(overrides)
    return body


ASSESSMENT = {
    "languages": [{"code": "fr", "level": "fluent"}, {"code": "ar", "level": "basic"}],
    "education_level": "lower_secondary",
    "occupations": [{"isco08": "9412", "years": 3}],
    "skills": ["food preparation", "hygiene", "cleaning"],
    "digital_skills": "basic",
    "aspirations": ["job"],
}


class Clock:
    def __init__(self, today: date) -> None:
        self.value = today

    def __call__(self) -> date:
        return self.value


def employment_settings(**overrides) -> EmploymentSettings:
    return EmploymentSettings(auth_jwt_secret=TEST_JWT_SECRET, log_json=False, organisation=ORG, **overrides)


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

    async def jobseeker(
        self,
        who: UUID | None = None,
        assessment: dict | None = None,
        region: str = "tanger_tetouan_al_hoceima",
        consent: bool = True,
        refer: bool = True,
    ) -> UUID:
        """A person with consent to referral to employment, assessed, and referred."""
        who = who or uuid4()
        if consent:
            await self.send(
                ConsentGiven(
                    beneficiary_id=who,
                    consent_id=uuid4(),
                    purpose=ConsentPurpose.REFERRAL,
                    organisation="employment",
                    notice_version="2026-01",
                    given_on=TODAY,
                ),
                who,
            )
        await self.send(
            SkillsAssessed(
                beneficiary_id=who,
                assessment_id=uuid4(),
                assessed_on=TODAY - timedelta(days=30),
                **(ASSESSMENT if assessment is None else assessment),
            ),
            who,
        )
        if refer:
            await self.send(
                ReferralMade(
                    referral_id=uuid4(),
                    beneficiary_id=who,
                    service="employment",
                    reason=ReferralReason.JOB_PLACEMENT,
                    made_on=TODAY - timedelta(days=20),
                    partner_organisation="amappe-tanger",
                    region=region,
                ),
                who,
            )
        return who

    async def certify(self, who: UUID, sector: str = "hospitality_and_tourism") -> None:
        await self.send(
            CourseCompleted(
                enrolment_id=uuid4(),
                beneficiary_id=who,
                cohort_id=uuid4(),
                course_id=uuid4(),
                course_kind="vocational",
                sector=sector,
                region="tanger_tetouan_al_hoceima",
                organisation="ofppt-tanger",
                completed_on=TODAY - timedelta(days=10),
                hours=200,
                attendance_rate=0.95,
                final_assessment_passed=True,
                certificate_number="W4L-2026-7KQ2M9XD-88",
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
                organisation="employment",
                withdrawn_on=TODAY,
            ),
            who,
        )

    async def erase(self, who: UUID) -> None:
        await self.send(BeneficiaryErased(beneficiary_id=who, erased_on=TODAY), who)

    async def merge(self, kept: UUID, retired: UUID) -> None:
        await self.send(
            BeneficiariesMerged(kept_beneficiary_id=kept, merged_beneficiary_id=retired, merged_on=TODAY), retired
        )


@asynccontextmanager
async def running(settings: EmploymentSettings, broker=None, clock: Clock | None = None):
    app = build(settings, broker=broker, today=clock or Clock(TODAY))
    async with app_client(app, "http://employment") as client:
        client.headers.update(bearer("caseworker", ORG))
        yield client, app


@asynccontextmanager
async def started_employment(database_url: str, clock: Clock | None = None, **overrides):
    """Employment on FastStream's in-memory broker: (client as a caseworker of ORG, upstream stub,
    what employment published, clock)."""
    from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker

    broker = KafkaBroker()
    published = Published()

    for topic in ("employment.placements", "employment.job_fairs", "employment.referral_answers"):

        @broker.subscriber(topic)
        async def collect(msg: KafkaMessage) -> None:
            published.events.append(json.loads(msg.raw_message.value))

    @broker.subscriber("employment.dead_letters")
    async def dead_letters(msg: KafkaMessage) -> None:
        published.dead_letters.append({k: v.decode() for k, v in msg.raw_message.headers})

    clock = clock or Clock(TODAY)
    settings = employment_settings(
        database_url=database_url, create_topics=False, consumer_retry_backoff_s=0, **overrides
    )
    async with TestKafkaBroker(broker), running(settings, broker, clock) as (client, app):
        await kafka_connected(app)
        yield client, Upstream(broker), published, clock


async def new_offer(client, employer: dict | None = None, **overrides) -> dict:
    made = await client.post("/v1/employers", json=employer or EMPLOYER)
    assert made.status_code == 201, made.text
    offer = await client.post(f"/v1/employers/{made.json()['employer_id']}/offers", json=offer_body(**overrides))
    assert offer.status_code == 201, offer.text
    return offer.json()


async def hired(client, offer: dict, who: UUID, starts_on: str = "2026-05-04") -> dict:
    application = await client.post(f"/v1/offers/{offer['offer_id']}/applications", json={"beneficiary_id": str(who)})
    assert application.status_code == 201, application.text
    url = f"/v1/applications/{application.json()['application_id']}"
    assert (await client.post(f"{url}/steps", json={"to": "interviewed"})).status_code == 200
    placement = await client.post(
        f"{url}/hire",
        json={"contract_type": "fixed_term", "starts_on": starts_on, "hours_per_week": 44, "wage_band": "3000_to_4500"},
    )
    assert placement.status_code == 201, placement.text
    return placement.json()
