"""Creating the catalogue's topics on a real broker, each with the retention of its kind, and a
service that refuses to run on an event topic that would lose the programme's history (ADR 13)."""

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from work4life.contracts.topics import CATALOGUE
from work4life.runtime import retention, status, topics
from work4life.runtime.processes import ServiceProcess
from work4life.runtime.serve import EXIT_REFUSED
from work4life.runtime.testing import TEST_JWT_SECRET

pytestmark = pytest.mark.integration


def configs_of(bootstrap: str, names: list[str]) -> dict[str, dict[str, str]]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        return retention.describe(admin, names)
    finally:
        admin.close()


def test_create_makes_every_catalogue_topic_once_and_is_safe_to_repeat(kafka_bootstrap, topic_namespace, capsys):
    argv = ["create", "--bootstrap-servers", kafka_bootstrap, "--namespace", topic_namespace, "--partitions", "2"]
    assert topics.main(argv) == 0
    assert f"{len(CATALOGUE)} topic(s) created" in capsys.readouterr().out
    assert topics.main(argv) == 0
    assert f"0 topic(s) created, {len(CATALOGUE)} already there" in capsys.readouterr().out
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        described = admin.describe_topics([f"{topic_namespace}{t.name}" for t in CATALOGUE])
    finally:
        admin.close()
    assert all(len(d["partitions"]) == 2 for d in described)


def test_event_topics_keep_every_record_and_dead_letter_topics_expire(kafka_bootstrap, topic_namespace, capsys):
    argv = ["create", "--bootstrap-servers", kafka_bootstrap, "--namespace", topic_namespace]
    assert topics.main([*argv, "--partitions", "1", "--dead-letter-retention-days", "30"]) == 0
    listing = capsys.readouterr().out
    configs = configs_of(kafka_bootstrap, [f"{topic_namespace}{t.name}" for t in CATALOGUE])
    for topic in CATALOGUE:
        config = configs[f"{topic_namespace}{topic.name}"]
        if topic.keeps_history:
            assert (config["retention.ms"], config["retention.bytes"], config["cleanup.policy"]) == (
                "-1",
                "-1",
                "delete",
            )
        else:
            assert config["retention.ms"] == str(30 * 24 * 3600 * 1000), topic.name
    assert listing.count("kept for good") == sum(t.keeps_history for t in CATALOGUE)
    assert listing.count("expires after 30 days") == sum(not t.keeps_history for t in CATALOGUE)


def test_a_service_refuses_to_start_on_an_event_topic_that_would_lose_history(
    kafka_bootstrap, topic_namespace, tmp_path, capsys
):
    # A topic made with the broker's defaults (7 days), as by hand or by an older version.
    beneficiaries = f"{topic_namespace}intake.beneficiaries"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        admin.create_topics([NewTopic(beneficiaries, 1, 1)])
    finally:
        admin.close()
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TOPIC_NAMESPACE": topic_namespace,
        "TOPIC_PARTITIONS": "1",
        "AUTH_JWT_SECRET": TEST_JWT_SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path}/training.db",
    }
    training = ServiceProcess("training", env, tmp_path)
    training.start(wait_ready=False)
    assert training.process is not None
    assert training.process.wait(timeout=60) == EXIT_REFUSED
    log = training.log_path.read_text()
    assert "refusing to start" in log
    assert f"{beneficiaries} deletes records after 7 days (retention.ms=604800000)" in log
    assert f"python -m work4life.runtime.topics retain --bootstrap-servers {kafka_bootstrap}" in log

    # The status command shows it against the topic's producer...
    found = status.history_findings(kafka_bootstrap, topic_namespace)
    assert [f.topic for f in found["intake"]] == [beneficiaries] and set(found) == {"intake"}

    # ...ops set the retention, and the service starts.
    argv = ["retain", "--bootstrap-servers", kafka_bootstrap, "--namespace", topic_namespace]
    topics.main(argv)
    assert f"retention set on 1 topic(s): {beneficiaries}" in capsys.readouterr().out
    assert status.history_findings(kafka_bootstrap, topic_namespace) == {}
    training = ServiceProcess("training", env, tmp_path).start()
    try:
        configs = configs_of(kafka_bootstrap, [f"{topic_namespace}training.dead_letters"])
        assert configs[f"{topic_namespace}training.dead_letters"]["retention.ms"] == str(90 * 24 * 3600 * 1000)
    finally:
        training.stop()


def test_list_reports_missing_topics_with_a_failing_exit_code(kafka_bootstrap, capsys):
    assert topics.main(["list", "--bootstrap-servers", kafka_bootstrap, "--namespace", "never-created."]) == 1
    assert "MISSING" in capsys.readouterr().out


def test_the_problems_name_each_way_of_losing_history():
    assert retention.problems({"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}) == []
    assert retention.problems({"retention.ms": "3600000"}) == ["deletes records after 1 hour (retention.ms=3600000)"]
    assert retention.problems({"retention.ms": "-1", "retention.bytes": "1000"}) == [
        "deletes the oldest records beyond 1000 bytes a partition (retention.bytes)"
    ]
    assert retention.problems({"retention.ms": "-1", "cleanup.policy": "compact"}) == [
        "keeps only the last record of each key (cleanup.policy=compact)"
    ]
