"""The topic catalogue: every topic, its key, the events it carries and its one producer.

Each topic has exactly one producing service. Records are keyed by the aggregate id (usually
the pseudonymous beneficiary id) so that one person's events stay in order on one partition.
A deployment may prefix every name with a namespace (for example `staging.`); the names here
are the unprefixed ones.

Each consuming service also owns a dead-letter topic, `<service>.dead_letters`, where it puts
the messages it could not process: the original key and bytes, with the reason and the source
topic, partition and offset in the headers.
"""

from dataclasses import dataclass, field

from .employment import JobFairHeld, Placed, RetentionChecked
from .enterprise import (
    FollowUpRecorded,
    GrantApproved,
    GrantDisbursed,
    VentureApplied,
    VentureLaunched,
    VentureMembersChanged,
    VentureStageChanged,
)
from .envelope import EventData
from .intake import (
    BeneficiariesMerged,
    BeneficiaryErased,
    BeneficiaryRegistered,
    BeneficiaryUpdated,
    ConsentGiven,
    ConsentWithdrawn,
    LegalStatusChanged,
    OutreachSessionHeld,
    ReferralMade,
    ReferralStatusChanged,
    SkillsAssessed,
)
from .referrals import EmploymentReferralAnswered, EnterpriseReferralAnswered, TrainingReferralAnswered
from .reporting import IndicatorSnapshot
from .training import CourseCompleted, TraineeDroppedOut, TraineeEnrolled

DEAD_LETTER_HEADER_REASON = "w4l-dlq-reason"
DEAD_LETTER_HEADER_ERROR = "w4l-dlq-error"
DEAD_LETTER_HEADER_SOURCE_TOPIC = "w4l-dlq-source-topic"
DEAD_LETTER_HEADER_SOURCE_PARTITION = "w4l-dlq-source-partition"
DEAD_LETTER_HEADER_SOURCE_OFFSET = "w4l-dlq-source-offset"
DEAD_LETTER_HEADER_CONSUMER_GROUP = "w4l-dlq-consumer-group"
DEAD_LETTER_HEADER_FAILED_AT = "w4l-dlq-failed-at"
DEAD_LETTER_HEADER_REPLAYED = "w4l-dlq-replayed"
"""On a marker record in a dead-letter topic (empty value): the `partition:offset` of a dead letter
of the same topic that was sent back to its source. A dead letter with no marker still waits."""


@dataclass(frozen=True)
class Topic:
    name: str
    owner: str
    key: str
    description: str
    events: tuple[type[EventData], ...] = field(default=())
    keeps_history: bool = True
    """An event topic is the programme's history: its records are kept for good, so that a read
    model can be rebuilt and a service joining later sees every event (ADR 13). A dead-letter
    topic holds messages set aside for a while, and may expire."""


INTAKE_BENEFICIARIES = Topic(
    name="intake.beneficiaries",
    owner="intake",
    key="beneficiary_id",
    description="Life cycle of a beneficiary as intake knows it, without personal data.",
    events=(
        BeneficiaryRegistered,
        BeneficiaryUpdated,
        LegalStatusChanged,
        ConsentGiven,
        ConsentWithdrawn,
        BeneficiaryErased,
        SkillsAssessed,
        ReferralMade,
        ReferralStatusChanged,
        BeneficiariesMerged,
    ),
)

INTAKE_OUTREACH = Topic(
    name="intake.outreach",
    owner="intake",
    key="session_id",
    description="Information sessions of campaigns on rights and services.",
    events=(OutreachSessionHeld,),
)

TRAINING_REFERRAL_ANSWERS = Topic(
    name="training.referral_answers",
    owner="training",
    key="beneficiary_id",
    description="The training service's answers to referrals.",
    events=(TrainingReferralAnswered,),
)

TRAINING_ENROLMENTS = Topic(
    name="training.enrolments",
    owner="training",
    key="beneficiary_id",
    description="Enrolments in training cohorts and how they ended: completion (with certificate) or dropout.",
    events=(TraineeEnrolled, CourseCompleted, TraineeDroppedOut),
)

ENTERPRISE_REFERRAL_ANSWERS = Topic(
    name="enterprise.referral_answers",
    owner="enterprise",
    key="beneficiary_id",
    description="The enterprise service's answers to referrals.",
    events=(EnterpriseReferralAnswered,),
)

ENTERPRISE_VENTURES = Topic(
    name="enterprise.ventures",
    owner="enterprise",
    key="venture_id",
    description="Ventures through the incubation pipeline, their grants, launch and follow-up visits.",
    events=(
        VentureApplied,
        VentureStageChanged,
        VentureMembersChanged,
        GrantApproved,
        GrantDisbursed,
        VentureLaunched,
        FollowUpRecorded,
    ),
)

EMPLOYMENT_REFERRAL_ANSWERS = Topic(
    name="employment.referral_answers",
    owner="employment",
    key="beneficiary_id",
    description="The employment service's answers to referrals.",
    events=(EmploymentReferralAnswered,),
)

EMPLOYMENT_PLACEMENTS = Topic(
    name="employment.placements",
    owner="employment",
    key="beneficiary_id",
    description="Placements in jobs and internships, and their retention checks.",
    events=(Placed, RetentionChecked),
)

EMPLOYMENT_JOB_FAIRS = Topic(
    name="employment.job_fairs",
    owner="employment",
    key="fair_id",
    description="Job fairs and their figures.",
    events=(JobFairHeld,),
)

REPORTING_SNAPSHOTS = Topic(
    name="reporting.snapshots",
    owner="reporting",
    key="period",
    description="Indicator snapshots (aggregates only), when a month closes or on demand.",
    events=(IndicatorSnapshot,),
)

INTAKE_DEAD_LETTERS = Topic(
    name="intake.dead_letters",
    owner="intake",
    key="the source message's key",
    description="Messages the intake service could not process, with the reason.",
    keeps_history=False,
)

TRAINING_DEAD_LETTERS = Topic(
    name="training.dead_letters",
    owner="training",
    key="the source message's key",
    description="Messages the training service could not process, with the reason.",
    keeps_history=False,
)

ENTERPRISE_DEAD_LETTERS = Topic(
    name="enterprise.dead_letters",
    owner="enterprise",
    key="the source message's key",
    description="Messages the enterprise service could not process, with the reason.",
    keeps_history=False,
)

EMPLOYMENT_DEAD_LETTERS = Topic(
    name="employment.dead_letters",
    owner="employment",
    key="the source message's key",
    description="Messages the employment service could not process, with the reason.",
    keeps_history=False,
)

REPORTING_DEAD_LETTERS = Topic(
    name="reporting.dead_letters",
    owner="reporting",
    key="the source message's key",
    description="Messages the reporting service could not process, with the reason.",
    keeps_history=False,
)

CATALOGUE: tuple[Topic, ...] = (
    INTAKE_BENEFICIARIES,
    INTAKE_OUTREACH,
    TRAINING_REFERRAL_ANSWERS,
    TRAINING_ENROLMENTS,
    ENTERPRISE_REFERRAL_ANSWERS,
    ENTERPRISE_VENTURES,
    EMPLOYMENT_REFERRAL_ANSWERS,
    EMPLOYMENT_PLACEMENTS,
    EMPLOYMENT_JOB_FAIRS,
    REPORTING_SNAPSHOTS,
    INTAKE_DEAD_LETTERS,
    TRAINING_DEAD_LETTERS,
    ENTERPRISE_DEAD_LETTERS,
    EMPLOYMENT_DEAD_LETTERS,
    REPORTING_DEAD_LETTERS,
)
"""Every topic of the platform."""
