"""Every route of training refuses an intruder: no token, an expired or badly signed token, a role
the route does not admit, and a caseworker of another organisation reading a partner's records."""

from work4life.runtime import migrations
from work4life.runtime.testing import NO_BROKER, walk_access
from work4life.training.bootstrap import build

from ..conftest import training_settings
from ..fuzz.test_api_fuzz import seed

PUBLIC = {
    "GET /v1/certificates/{certificate_number}": "anyone holding a certificate may check it; it shows the course, never the person",
}

CATALOGUE = {
    "GET /v1/courses/{course_id}": "the catalogue is the programme's: every partner refers people to any course",
    "GET /v1/cohorts/{cohort_id}": "cohorts with their seat counts hold nobody's data; partners look for free seats",
    "GET /v1/cohorts/{cohort_id}/sessions": "a cohort's timetable, open like the cohort itself",
}


def test_every_route_refuses_an_intruder(tmp_path):
    app = build(training_settings(database_url=f"sqlite:///{tmp_path}/training.db", **NO_BROKER))
    migrations.upgrade(app.state.runtime.engine, "work4life.training")
    values = {name: ids[0] for name, ids in seed(app.state.runtime.engine).items()}
    counts = walk_access(
        app, public=PUBLIC, path_values=values, owner_organisation="ofppt-rabat", organisation_free=CATALOGUE
    )
    print(f"\n{counts}")
    assert counts["no_token"] >= 20 and counts["wrong_role"] >= 10 and counts["wrong_organisation"] >= 3
