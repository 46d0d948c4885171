"""Every route of reporting refuses an intruder: no token, an expired or badly signed token, and a
role the route does not admit. Reporting holds no
organisation's records, only aggregates, so there is no other organisation's record to reach."""

from work4life.reporting.bootstrap import build
from work4life.runtime import migrations
from work4life.runtime.testing import NO_BROKER, walk_access

from ..conftest import reporting_settings


def test_every_route_refuses_an_intruder(tmp_path):
    app = build(reporting_settings(database_url=f"sqlite:///{tmp_path}/reporting.db", **NO_BROKER))
    migrations.upgrade(app.state.runtime.engine, "work4life.reporting")
    counts = walk_access(app, public={}, path_values={"code": "1.1"})
    print(f"\n{counts}")
    assert counts["no_token"] == 19 and counts["wrong_role"] == 9  # /v1; some for managers or M&E only
