"""Counting rules of the read model.

A person is counted once, by their pseudonymous id, however many times their registration
event is delivered. Their attributes are those of the most recent event about them (by the
time the fact occurred), so a late or out-of-order event never overwrites a newer one.
"""

from datetime import datetime


def is_newer(incoming: datetime, current: datetime | None) -> bool:
    return current is None or incoming >= current
