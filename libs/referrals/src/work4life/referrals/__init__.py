"""How a partner service receives people from intake (ADR 6), written once.

- `model`: the columns of the two rows a receiving service keeps (the person, the candidate), the
  candidate's statuses and the API's shapes for them.
- `desk`: `ReferralDesk`, the handlers of intake's consent, referral, profile, erasure and merge
  events, the candidates query and the decline command; each service subclasses it with its tables
  and its own work with a person.
"""

from .desk import AnsweredEvent, ReferralDesk, answer, answers_on
from .model import (
    OPEN,
    CandidatePublic,
    CandidateStatus,
    DeclineRequest,
    ReferralCandidate,
    ReferralWithoutConsent,
    ReferredPerson,
)

__all__ = [
    "OPEN",
    "AnsweredEvent",
    "CandidatePublic",
    "CandidateStatus",
    "DeclineRequest",
    "ReferralCandidate",
    "ReferralDesk",
    "ReferralWithoutConsent",
    "ReferredPerson",
    "answer",
    "answers_on",
]
