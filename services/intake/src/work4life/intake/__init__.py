"""Work4Life intake: where a person enters the programme; the only holder of personal data."""
