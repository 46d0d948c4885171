"""Every route of employment refuses an intruder: no token, an expired or badly signed token, a role
the route does not admit, and a caseworker of another organisation reading a partner's records."""

from datetime import date

from work4life.employment.bootstrap import build
from work4life.runtime import migrations
from work4life.runtime.testing import NO_BROKER, walk_access

from ..conftest import employment_settings
from ..fuzz.test_api_fuzz import seed


def test_every_route_refuses_an_intruder(tmp_path):
    app = build(
        employment_settings(database_url=f"sqlite:///{tmp_path}/employment.db", **NO_BROKER),
        today=lambda: date(2026, 9, 1),
    )
    migrations.upgrade(app.state.runtime.engine, "work4life.employment")
    values = {name: ids[0] for name, ids in seed(app.state.runtime.engine).items()}
    counts = walk_access(app, public={}, path_values=values, owner_organisation="ajr-tanger")
    print(f"\n{counts}")
    assert counts["no_token"] >= 20 and counts["wrong_role"] >= 10 and counts["wrong_organisation"] >= 3
