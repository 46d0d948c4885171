"""A generated programme: the events the four domain services would publish for a few hundred
people going through every path (registration, assessment, referrals, training, ventures with
grants and follow-ups, placements with retention checks, outreach, erasures and merges), and an
independent count of what the indicators must say, computed from those raw events alone."""

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from work4life.contracts import employment, enterprise, intake, training
from work4life.contracts.envelope import Envelope, Producer
from work4life.runtime.events import new_envelope

START = date(2025, 1, 6)
REGIONS = ["tanger_tetouan_al_hoceima", "rabat_sale_kenitra", "oriental", "beni_mellal_khenifra"]
CITIES = {  # the programme's city in each region (intake sends them under one name each)
    "tanger_tetouan_al_hoceima": "Tanger",
    "rabat_sale_kenitra": "Rabat",
    "oriental": "Oujda",
    "beni_mellal_khenifra": "Beni Mellal",
}
ORGS = ["amappe", "caritas", "ajr"]


@dataclass
class Programme:
    events: list[tuple[str, Envelope[Any]]] = field(default_factory=list)
    people: dict[UUID, dict[str, Any]] = field(default_factory=dict)  # attributes at the end
    erased: set[UUID] = field(default_factory=set)
    merged: dict[UUID, UUID] = field(default_factory=dict)  # retired -> kept
    statistics: set[UUID] = field(default_factory=set)  # consented to statistics and did not withdraw


def generate(people: int = 300, seed: int = 3) -> Programme:
    rng = random.Random(seed)
    uid = lambda: UUID(int=rng.getrandbits(128), version=4)  # noqa: E731
    p = Programme()
    clock = [datetime(2025, 1, 6, 9, tzinfo=UTC)]

    def emit(topic: str, data: Any, key: Any, service: str) -> None:
        clock[0] += timedelta(minutes=7)
        envelope = new_envelope(
            data, key=str(key), producer=Producer(service=service, organisation="gen"), occurred_at=clock[0]
        )
        p.events.append((topic, envelope))

    def day(offset: int) -> date:
        return START + timedelta(days=offset)

    consents = random.Random(seed + 1)  # draws added later (consents, employers): the rest stays as it was

    def consent(who: UUID, on: date) -> None:
        """Statistics consent for most people (some withdraw it later); service delivery for all."""
        for purpose in (intake.ConsentPurpose.SERVICE_DELIVERY, intake.ConsentPurpose.STATISTICS):
            if purpose is intake.ConsentPurpose.STATISTICS and consents.random() < 0.4:
                continue
            consent_id = UUID(int=consents.getrandbits(128), version=4)
            given = intake.ConsentGiven(
                beneficiary_id=who, consent_id=consent_id, purpose=purpose, notice_version="v1", given_on=on
            )
            emit("intake.beneficiaries", given, who, "intake")
            if purpose is not intake.ConsentPurpose.STATISTICS:
                continue
            if consents.random() < 0.15:
                withdrawn = intake.ConsentWithdrawn(
                    beneficiary_id=who, consent_id=consent_id, purpose=purpose, withdrawn_on=on + timedelta(days=40)
                )
                emit("intake.beneficiaries", withdrawn, who, "intake")
            else:
                p.statistics.add(who)

    fairs = [(uid(), day(rng.randint(30, 480))) for _ in range(10)]  # job fairs: id and day
    ids = []
    for _ in range(people):
        who = uid()
        ids.append(who)
        attrs = dict(
            sex=rng.choice(["female", "male", "female", "undisclosed"]),
            birth_year=rng.randint(1960, 2008),
            nationality=rng.choice(["CIV", "GIN", "SEN", "CMR", "MAR", "SYR"]),
            legal_status=rng.choice(["refugee", "asylum_seeker", "regular_migrant", "other_migrant", "host_community"]),
            disability=rng.random() < 0.08,
            region=rng.choice(REGIONS),
            partner_organisation=rng.choice(ORGS),
        )
        registered_on = day(rng.randint(0, 500))
        attrs["registered_on"] = registered_on
        city = CITIES[attrs["region"]] if rng.random() < 0.9 else "Fquih Ben Salah"
        p.people[who] = dict(attrs, city=city)
        emit(
            "intake.beneficiaries",
            intake.BeneficiaryRegistered(beneficiary_id=who, city=city, **attrs),
            who,
            "intake",
        )
        base = (registered_on - START).days
        consent(who, registered_on)
        if rng.random() < 0.1:  # moves to another region
            attrs["region"] = rng.choice(REGIONS)
            p.people[who]["region"] = attrs["region"]
            p.people[who]["city"] = CITIES[attrs["region"]]
            emit(
                "intake.beneficiaries",
                intake.BeneficiaryUpdated(
                    beneficiary_id=who,
                    city=CITIES[attrs["region"]],
                    changed_fields=["region"],
                    **{k: v for k, v in attrs.items() if k not in ("registered_on", "legal_status")},
                ),
                who,
                "intake",
            )
        if rng.random() < 0.7:
            emit(
                "intake.beneficiaries",
                intake.SkillsAssessed(
                    beneficiary_id=who,
                    assessment_id=uid(),
                    assessed_on=day(base + 3),
                    digital_skills="basic",
                    aspirations=["job"],
                ),
                who,
                "intake",
            )
        path = rng.random()
        if path < 0.75:
            emit(
                "intake.beneficiaries",
                intake.ReferralMade(
                    referral_id=uid(),
                    beneficiary_id=who,
                    service=rng.choice(["training", "enterprise", "employment"]),
                    reason="other",
                    made_on=day(base + 5),
                    partner_organisation=attrs["partner_organisation"],
                ),
                who,
                "intake",
            )
        if path < 0.5:  # training
            enrolment = uid()
            kind = rng.choice(["vocational", "digital", "financial_education", "language"])
            common = dict(
                enrolment_id=enrolment,
                beneficiary_id=who,
                cohort_id=uid(),
                course_id=uid(),
                course_kind=kind,
                sector="cross_sector",
                region=attrs["region"],
                organisation="ofppt",
            )
            emit("training.enrolments", training.TraineeEnrolled(enrolled_on=day(base + 10), **common), who, "training")
            if rng.random() < 0.75:
                emit(
                    "training.enrolments",
                    training.CourseCompleted(
                        completed_on=day(base + 60),
                        hours=100,
                        attendance_rate=0.9,
                        certificate_number="W4L-2025-7KQ2M9XD-88" if rng.random() < 0.5 else None,
                        **common,
                    ),
                    who,
                    "training",
                )
        if 0.3 < path < 0.55 and rng.random() < 0.8:  # placement
            employer_type = consents.choice(["sme", "sme", "cooperative", "large_company", "public_body"])
            placement = uid()
            starts = day(base + 80)
            emit(
                "employment.placements",
                employment.Placed(
                    placement_id=placement,
                    beneficiary_id=who,
                    offer_id=uid(),
                    employer_id=uid(),
                    employer_type=employer_type,
                    employer_ownership="moroccan",
                    employer_csr=employer_type == "large_company" and consents.random() < 0.6,
                    sector="hospitality_and_tourism",
                    region=attrs["region"],
                    kind=rng.choice(["job", "job", "internship"]),
                    contract_type="fixed_term",
                    wage_band="3000_to_4500",
                    hours_per_week=44,
                    starts_on=starts,
                    job_fair_id=rng.choice(fairs)[0] if rng.random() < 0.25 else None,
                    organisation=attrs["partner_organisation"],
                    isco08=consents.choice([None, "5120", "7512", "9112", "5223", "6111", "8322"]),
                ),
                who,
                "employment",
            )
            for months in (3, 6, 12):
                if rng.random() < 0.7:
                    stays = rng.random() < 0.8
                    emit(
                        "employment.placements",
                        employment.RetentionChecked(
                            placement_id=placement,
                            beneficiary_id=who,
                            months_after_start=months,
                            checked_on=starts + timedelta(days=30 * months),
                            outcome="still_employed" if stays else "unreachable",
                        ),
                        who,
                        "employment",
                    )
    # ventures of 1 to 4 people
    pool = ids[:]
    rng.shuffle(pool)
    for _ in range(people // 12):
        members = [pool.pop() for _ in range(rng.randint(1, 4))]
        venture = uid()
        region = rng.choice(REGIONS)
        org = rng.choice(ORGS)
        first = day(rng.randint(0, 400))
        common = dict(venture_id=venture, members=members, other_members=rng.randint(0, 2))
        venture_kind = consents.choice(
            ["income_generating_activity", "micro_enterprise", "micro_enterprise", "cooperative"]
        )
        emit(
            "enterprise.ventures",
            enterprise.VentureApplied(
                kind=venture_kind,
                sector="agrifood",
                region=region,
                organisation=org,
                applied_on=first,
                already_running=consents.random() < 0.3,
                **common,
            ),
            venture,
            "enterprise",
        )
        stages = ["pre_incubation", "incubation", "acceleration"][: rng.randint(0, 3)]
        previous = "application"
        for i, stage in enumerate(stages):
            emit(
                "enterprise.ventures",
                enterprise.VentureStageChanged(
                    stage=stage,
                    previous_stage=previous,
                    changed_on=first + timedelta(days=20 * (i + 1)),
                    by_committee=stage != "acceleration",
                    **common,
                ),
                venture,
                "enterprise",
            )
            previous = stage
        if len(stages) >= 2:
            for n in range(rng.randint(0, 2)):
                amount = Decimal(rng.randint(100_000, 3_000_000)) / 100
                emit(
                    "enterprise.ventures",
                    enterprise.GrantDisbursed(
                        grant_id=venture,
                        disbursement_id=uid(),
                        tranche=n + 1,
                        disbursed_on=first + timedelta(days=70 + n * 10),
                        amount_mad=amount,
                        amount_eur=(amount / Decimal("10.8")).quantize(Decimal("0.01")),
                        eur_rate=Decimal("10.8"),
                        **common,
                    ),
                    venture,
                    "enterprise",
                )
            if rng.random() < 0.7:
                launched = first + timedelta(days=100)
                emit(
                    "enterprise.ventures",
                    enterprise.VentureLaunched(
                        kind=venture_kind,
                        legal_form="cooperative" if venture_kind == "cooperative" else "auto_entrepreneur",
                        registered_on=launched,
                        region=region,
                        sector="agrifood",
                        **common,
                    ),
                    venture,
                    "enterprise",
                )
                for months in (6, 12):
                    if rng.random() < 0.8:
                        active = rng.random() < 0.75
                        emit(
                            "enterprise.ventures",
                            enterprise.FollowUpRecorded(
                                visit_id=uid(),
                                months_after_launch=months,
                                visited_on=launched + timedelta(days=30 * months),
                                active=active,
                                revenue_band="2000_to_5000" if active else "none",
                                jobs_owners=len(members) if active else 0,
                                jobs_employees=rng.randint(0, 3) if active else 0,
                                **common,
                            ),
                            venture,
                            "enterprise",
                        )
    for s in range(people // 10):
        emit(
            "intake.outreach",
            intake.OutreachSessionHeld(
                session_id=uid(),
                campaign="Droits",
                held_on=day(rng.randint(0, 500)),
                region=rng.choice(REGIONS),
                city="X",
                topic="rights",
                partner_organisation=rng.choice(ORGS),
                people_reached=rng.randint(5, 80),
            ),
            s,
            "intake",
        )
    for fair_id, held_on in fairs:
        emit(
            "employment.job_fairs",
            employment.JobFairHeld(
                fair_id=fair_id,
                held_on=held_on,
                region=rng.choice(REGIONS),
                city="Rabat",
                organisation=rng.choice(ORGS),
                employers=rng.randint(3, 15),
                registered_attendees=rng.sample(ids, rng.randint(5, 40)),
                other_attendees=rng.randint(0, 60),
                interviews=rng.randint(0, 30),
                hires=rng.randint(0, 8),
            ),
            fair_id,
            "employment",
        )
    # a few erasures and merges, at the end
    for who in rng.sample(ids, 6):
        p.erased.add(who)
        emit("intake.beneficiaries", intake.BeneficiaryErased(beneficiary_id=who, erased_on=day(520)), who, "intake")
    candidates = [w for w in ids if w not in p.erased]
    for _ in range(4):
        kept, retired = rng.sample(candidates, 2)
        candidates.remove(retired)
        candidates.remove(kept)
        p.merged[retired] = kept
        emit(
            "intake.beneficiaries",
            intake.BeneficiariesMerged(kept_beneficiary_id=kept, merged_beneficiary_id=retired, merged_on=day(521)),
            retired,
            "intake",
        )
    return p


# -- the independent count -------------------------------------------------------------------


def expected(p: Programme, start: date | None, end: date) -> dict[str, Any]:
    """Each indicator computed straight from the raw events, by other code than the service's."""

    def within(d: date) -> bool:
        return (start is None or d >= start) and d <= end

    def person(who: UUID) -> UUID:
        return p.merged.get(who, who)

    sets: dict[str, set[UUID]] = defaultdict(set)
    totals: dict[str, Any] = defaultdict(int)
    ventures_counted: set[UUID] = set()
    last_follow_up: dict[UUID, tuple[int, int, bool]] = {}
    rates: dict[str, list[bool]] = defaultdict(list)
    members: dict[UUID, list[UUID]] = {}
    running: set[UUID] = set()  # ventures already trading when they entered
    created: set[UUID] = set()
    strengthened: set[UUID] = set()
    for _topic, e in p.events:
        d = e.data
        t = e.event_type
        if (
            (t == "intake.beneficiary_registered" and within(d.registered_on))
            or (t == "intake.skills_assessed" and within(d.assessed_on))
            or (t == "intake.referral_made" and within(d.made_on))
            or (t == "training.enrolled" and within(d.enrolled_on))
        ):
            sets["3.2"].add(person(d.beneficiary_id))
        elif t == "training.course_completed" and within(d.completed_on):
            sets["1.4"].add(person(d.beneficiary_id))
            if d.course_kind.value == "vocational":
                sets["vocational_training"].add(person(d.beneficiary_id))
            if d.course_kind.value == "financial_education":
                sets["financial_education"].add(person(d.beneficiary_id))
        elif t == "employment.placed" and within(d.starts_on):
            sets["placements"].add(person(d.beneficiary_id))
            sets["3.2"].add(person(d.beneficiary_id))
            if d.kind.value == "job":
                totals["1.1"] += 1
            if d.employer_type.value in ("sme", "cooperative"):
                sets[f"placements_{d.employer_type.value}"].add(person(d.beneficiary_id))
            if d.employer_type.value == "large_company" and d.employer_csr:
                sets["placements_csr"].add(person(d.beneficiary_id))
            if d.job_fair_id is not None:
                sets["job_fair_hires"].add(person(d.beneficiary_id))
        elif t == "employment.job_fair_held" and within(d.held_on):
            totals["job_fairs"] += 1
            totals["job_fair_employers"] += d.employers
            totals["job_fair_attendance"] += len(d.registered_attendees) + d.other_attendees
        elif t == "employment.retention_checked" and within(d.checked_on):
            rates[f"retention_{d.months_after_start}m"].append(d.outcome.value == "still_employed")
        elif t == "enterprise.venture_applied":
            members[d.venture_id] = list(d.members)
            if d.already_running:
                running.add(d.venture_id)
        elif t == "enterprise.venture_stage_changed" and within(d.changed_on):
            if d.venture_id in running and d.stage.value in ("pre_incubation", "incubation", "acceleration"):
                strengthened.add(d.venture_id)
            for who in d.members:
                sets["1.3"].add(person(who))
                sets["3.2"].add(person(who))
            if d.stage.value == "acceleration":
                ventures_counted.add(d.venture_id)
        elif t == "enterprise.venture_launched" and within(d.registered_on):
            ventures_counted.add(d.venture_id)
            if d.venture_id not in running:
                created.add(d.venture_id)
        elif t == "enterprise.grant_disbursed" and within(d.disbursed_on):
            totals["financial_volume"] += d.amount_mad
        elif t == "enterprise.follow_up_recorded" and within(d.visited_on):
            current = last_follow_up.get(d.venture_id)
            if current is None or d.months_after_launch > current[0]:
                last_follow_up[d.venture_id] = (d.months_after_launch, d.jobs_owners + d.jobs_employees, d.active)
            rates[f"survival_{d.months_after_launch}m"].append(d.active)
        elif t == "intake.outreach_session_held" and within(d.held_on):
            totals["3.3"] += d.people_reached
            totals["3.11"] += 1
    totals["1.1"] += sum(jobs for _m, jobs, active in last_follow_up.values() if active)
    totals["1.2"] = len(ventures_counted)
    totals["businesses_created"] = len(created)
    totals["businesses_strengthened"] = len(strengthened)
    for code, people in sets.items():
        totals[code] = len(people)
    for code, outcomes in rates.items():
        totals[code] = round(100 * sum(outcomes) / len(outcomes), 1) if outcomes else None  # no data, never 0 %
    for code in (
        "job_fairs",
        "job_fair_employers",
        "job_fair_attendance",
        "job_fair_hires",
        "vocational_training",
        "financial_education",
        "placements_sme",
        "placements_cooperative",
        "placements_csr",
    ):
        totals.setdefault(code, 0)  # counts: none in the period is 0
    return dict(totals)


def expected_by_fact(p: Programme, start: date | None, end: date) -> dict[tuple[str, str], dict[str, Any]]:
    """The breakdowns by an attribute of the facts, (indicator, dimension) -> cells, from the raw
    events: a person under the attribute of their first fact of the period, a venture, a payment
    or a visit under its venture's kind."""

    def within(d: date) -> bool:
        return (start is None or d >= start) and d <= end

    def person(who: UUID) -> UUID:
        return p.merged.get(who, who)

    firsts: dict[str, dict[UUID, tuple[date, int, dict[str, str]]]] = defaultdict(dict)

    def first(code: str, who: UUID, on: date, order: int, attributes: dict[str, str]) -> None:
        seen = firsts[code].get(who)
        if seen is None or (on, order) < seen[:2]:
            firsts[code][who] = (on, order, attributes)

    kinds: dict[UUID, str] = {}
    running: set[UUID] = set()
    created: dict[UUID, str] = {}
    strengthened: dict[UUID, str] = {}
    ventures: dict[UUID, tuple[date, str]] = {}
    money: dict[str, Decimal] = defaultdict(Decimal)
    visits: dict[tuple[int, str], list[bool]] = defaultdict(list)
    for order, (_topic, e) in enumerate(p.events):
        d, t = e.data, e.event_type
        if t == "training.course_completed" and within(d.completed_on):
            first("1.4", person(d.beneficiary_id), d.completed_on, order, {"course_kind": d.course_kind.value})
        elif t == "employment.placed" and within(d.starts_on):
            placed = {
                "employer_type": d.employer_type.value,
                "occupation_group": d.isco08[0] if d.isco08 else "unknown",
            }
            who = person(d.beneficiary_id)
            first("placements", who, d.starts_on, order, placed)
            if d.employer_type.value in ("sme", "cooperative"):
                first(f"placements_{d.employer_type.value}", who, d.starts_on, order, placed)
            if d.employer_type.value == "large_company" and d.employer_csr:
                first("placements_csr", who, d.starts_on, order, placed)
            if d.job_fair_id is not None:
                first("job_fair_hires", who, d.starts_on, order, placed)
        elif t == "enterprise.venture_applied":
            kinds[d.venture_id] = d.kind.value
            if d.already_running:
                running.add(d.venture_id)
        elif t == "enterprise.venture_stage_changed" and within(d.changed_on):
            if d.venture_id in running and d.stage.value in ("pre_incubation", "incubation", "acceleration"):
                strengthened[d.venture_id] = kinds[d.venture_id]
            for who in d.members:
                first("1.3", person(who), d.changed_on, order, {"venture_kind": kinds[d.venture_id]})
            if d.stage.value == "acceleration" and (
                d.venture_id not in ventures or d.changed_on < ventures[d.venture_id][0]
            ):
                ventures[d.venture_id] = (d.changed_on, kinds[d.venture_id])
        elif t == "enterprise.venture_launched" and within(d.registered_on):
            if d.venture_id not in ventures or d.registered_on < ventures[d.venture_id][0]:
                ventures[d.venture_id] = (d.registered_on, d.kind.value)
            if d.venture_id not in running:
                created[d.venture_id] = d.kind.value
        elif t == "enterprise.grant_disbursed" and within(d.disbursed_on):
            money[kinds[d.venture_id]] += d.amount_mad
        elif t == "enterprise.follow_up_recorded" and within(d.visited_on):
            visits[(d.months_after_launch, kinds[d.venture_id])].append(d.active)
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for code, people in firsts.items():
        for dimension in people and next(iter(people.values()))[2]:
            cells[(code, dimension)] = dict(Counter(attributes[dimension] for _, _, attributes in people.values()))
    cells[("1.2", "venture_kind")] = dict(Counter(kind for _, kind in ventures.values()))
    cells[("businesses_created", "venture_kind")] = dict(Counter(created.values()))
    cells[("businesses_strengthened", "venture_kind")] = dict(Counter(strengthened.values()))
    cells[("financial_volume", "venture_kind")] = dict(money)
    for months in (6, 12):
        cells[(f"survival_{months}m", "venture_kind")] = {
            kind: (round(100 * sum(found) / len(found), 1), len(found))
            for (m, kind), found in visits.items()
            if m == months
        }
    return cells


def research_expected(p: Programme) -> dict[UUID, dict[str, Any]]:
    """The research extract's rows, by person, from the raw events (ADR 23): the people whose
    statistics consent stands (after merges; never the erased), with their outcomes."""

    def person(who: UUID) -> UUID:
        return p.merged.get(who, who)

    people = {person(w) for w in p.statistics if w not in p.erased and person(w) not in p.erased}
    flags: dict[UUID, set[str]] = defaultdict(set)
    checks: dict[tuple[UUID, int], set[str]] = defaultdict(set)
    for _topic, e in p.events:
        d, t = e.data, e.event_type
        if t == "employment.placed":
            flags[person(d.beneficiary_id)].add("placed")
        elif t == "training.course_completed":
            flags[person(d.beneficiary_id)].add("completed_course")
        elif t == "employment.retention_checked":
            checks[(person(d.beneficiary_id), d.months_after_start)].add(d.outcome.value)
    nationalities = Counter(p.people[w]["nationality"] for w in people)
    rows = {}
    for who in people:
        a = p.people[who]
        age = a["registered_on"].year - a["birth_year"]
        retained = {}
        for months in (3, 6, 12):
            found = checks[(who, months)]
            retained[f"retained_{months}m"] = (
                "yes"
                if "still_employed" in found
                else "no"
                if "left" in found
                else "unreachable"
                if "unreachable" in found
                else "not checked"
            )
        rows[who] = {
            "registered_quarter": f"{a['registered_on'].year}-Q{(a['registered_on'].month + 2) // 3}",
            "age_band_at_registration": "under_15"
            if age < 15
            else "15-24"
            if age < 25
            else "25-34"
            if age < 35
            else "35+",
            "sex": a["sex"],
            "nationality": a["nationality"] if nationalities[a["nationality"]] >= 5 else "other",
            "region": a["region"],
            "partner_organisation": a["partner_organisation"],
            "placed": str("placed" in flags[who]),
            "completed_course": str("completed_course" in flags[who]),
            **retained,
        }
    return rows


def by_sex(p: Programme, code_people: set[UUID]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for who in code_people:
        counts[p.people[who]["sex"]] += 1
    return dict(counts)
