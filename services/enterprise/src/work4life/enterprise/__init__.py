"""Work4Life enterprise: ventures (income-generating activities, micro-enterprises, cooperatives,
start-ups) from application through incubation and acceleration to launch, their co-financing
grants paid in tranches against milestones, coaching, and follow-up visits for up to three years."""
