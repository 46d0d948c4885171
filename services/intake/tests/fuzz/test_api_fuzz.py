"""Schema-driven fuzzing of intake's HTTP API: whatever the request, never a 5xx (sent as an
admin, who may reach every route)."""

from work4life.intake.bootstrap import build
from work4life.runtime import migrations
from work4life.runtime.testing import NO_BROKER, bearer, fuzz_api

from ..conftest import intake_settings

ADMIN = bearer("admin", "lead-ngo", "fuzzer")


def test_no_request_makes_intake_fail_with_a_server_error(tmp_path):
    app = build(intake_settings(database_url=f"sqlite:///{tmp_path}/intake.db", **NO_BROKER))
    migrations.upgrade(app.state.runtime.engine, "work4life.intake")  # in case the fuzzer skips the lifespan
    tried = fuzz_api(app, ADMIN, min_operations=20)
    print(f"\nfuzzed {len(tried)} operations")
