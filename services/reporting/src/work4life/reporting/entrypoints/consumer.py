"""What reporting subscribes to, and which handler applies each event (service_layer/handlers.py).

Reporting consumes every programme topic and turns each event into facts of its read model."""

from work4life.contracts.employment import JobFairHeld, Placed, RetentionChecked
from work4life.contracts.enterprise import (
    FollowUpRecorded,
    GrantDisbursed,
    VentureApplied,
    VentureLaunched,
    VentureMembersChanged,
    VentureStageChanged,
)
from work4life.contracts.envelope import EventData
from work4life.contracts.intake import (
    BeneficiariesMerged,
    BeneficiaryErased,
    BeneficiaryRegistered,
    BeneficiaryUpdated,
    ConsentGiven,
    ConsentWithdrawn,
    LegalStatusChanged,
    OutreachSessionHeld,
    ReferralMade,
    SkillsAssessed,
)
from work4life.contracts.topics import (
    EMPLOYMENT_JOB_FAIRS,
    EMPLOYMENT_PLACEMENTS,
    ENTERPRISE_VENTURES,
    INTAKE_BENEFICIARIES,
    INTAKE_OUTREACH,
    TRAINING_ENROLMENTS,
)
from work4life.contracts.training import CourseCompleted, TraineeEnrolled
from work4life.runtime.consumer import Handler

from ..service_layer import handlers

CONSUMES = (
    INTAKE_BENEFICIARIES,
    INTAKE_OUTREACH,
    TRAINING_ENROLMENTS,
    ENTERPRISE_VENTURES,
    EMPLOYMENT_PLACEMENTS,
    EMPLOYMENT_JOB_FAIRS,
)
READS_FIRST = (INTAKE_BENEFICIARIES,)
"""Read before the other topics while catching up on a backlog (`W4L_CONSUMER_READ_FIRST`): people
registered, moved, erased and merged before their facts come, so that a person's roll-up rows are
written once with their attributes, not first without and again when the registration comes."""

EVENT_HANDLERS: dict[type[EventData], Handler] = {
    BeneficiaryRegistered: handlers.registered_fact,
    BeneficiaryUpdated: handlers.record_profile_change,
    LegalStatusChanged: handlers.record_legal_status,
    SkillsAssessed: handlers.assessed,
    ReferralMade: handlers.referred,
    BeneficiaryErased: handlers.erased,
    BeneficiariesMerged: handlers.merged,
    ConsentGiven: handlers.statistics_consent_given,
    ConsentWithdrawn: handlers.statistics_consent_withdrawn,
    OutreachSessionHeld: handlers.outreach,
    TraineeEnrolled: handlers.enrolled,
    CourseCompleted: handlers.trained,
    VentureApplied: handlers.venture_applied,
    VentureStageChanged: handlers.venture_stage,
    VentureMembersChanged: handlers.venture_members,
    GrantDisbursed: handlers.grant_disbursed,
    VentureLaunched: handlers.venture_launched,
    FollowUpRecorded: handlers.follow_up,
    Placed: handlers.placed,
    RetentionChecked: handlers.retention,
    JobFairHeld: handlers.job_fair,
}
