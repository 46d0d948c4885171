"""Work4Life training: courses and cohorts, candidates from intake's referrals, enrolment with a
waiting list, attendance, completion under each course's rule, and verifiable certificates."""
