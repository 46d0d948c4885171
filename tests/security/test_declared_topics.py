"""Each service declares the topics it produces and consumes in one checked way (`PRODUCES` and
`CONSUMES` in its bootstrap, the tuples it builds its runtime with), and the Kafka grants are
derived from exactly that: reporting could not publish its snapshots under ACLs while it passed
its topic inline and the grants quietly took nothing."""

import importlib

import pytest

from work4life.contracts.topics import CATALOGUE
from work4life.runtime import acls
from work4life.runtime.testing import TEST_JWT_SECRET


@pytest.mark.parametrize("service", acls.SERVICES)
def test_a_service_runs_with_the_topics_it_declares_and_produces_every_topic_it_owns(service):
    bootstrap = importlib.import_module(f"work4life.{service}.bootstrap")
    config = importlib.import_module(f"work4life.{service}.config")
    settings_class = next(v for k, v in vars(config).items() if k.endswith("Settings") and k != "ServiceSettings")
    produces, consumes = acls.declared(service)
    app = bootstrap.build(settings_class(database_url="sqlite://", auth_jwt_secret=TEST_JWT_SECRET))
    runtime = app.state.runtime
    assert tuple(runtime.produces) == produces and tuple(runtime.consumes) == consumes
    owned = {t.name for t in CATALOGUE if t.owner == service and t.keeps_history}
    assert {t.name for t in produces} == owned


def test_reporting_may_write_its_snapshots_under_acls():
    grants = {(g.operation, g.name) for g in acls.all_grants(["reporting"])}
    assert ("WRITE", "reporting.snapshots") in grants
    assert ("READ", "reporting.dead_letters") in grants  # it counts its dead letters from the topic


def test_a_bootstrap_that_does_not_declare_its_topics_is_refused(monkeypatch):
    bootstrap = importlib.import_module("work4life.reporting.bootstrap")
    monkeypatch.delattr(bootstrap, "PRODUCES")
    with pytest.raises(acls.UndeclaredTopics, match="declares no PRODUCES"):
        acls.declared("reporting")


def test_a_service_may_not_declare_another_services_topic(monkeypatch):
    bootstrap = importlib.import_module("work4life.training.bootstrap")
    intake_topic = next(t for t in CATALOGUE if t.name == "intake.beneficiaries")
    monkeypatch.setattr(bootstrap, "PRODUCES", (*bootstrap.PRODUCES, intake_topic))
    with pytest.raises(acls.UndeclaredTopics, match="owned by another service"):
        acls.declared("training")
