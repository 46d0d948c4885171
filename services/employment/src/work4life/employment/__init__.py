"""Work4Life employment: employers and their offers, a candidate pool built from intake's skills
assessments and training's completions, explained matching, applications and placements,
retention checks at 3, 6 and 12 months, and job fairs."""
