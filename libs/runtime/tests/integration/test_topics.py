"""Creating the catalogue's topics on a real broker."""

import pytest
from kafka import KafkaAdminClient

from work4life.contracts.topics import CATALOGUE
from work4life.runtime import topics

pytestmark = pytest.mark.integration


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


def test_list_reports_missing_topics_with_a_failing_exit_code(kafka_bootstrap, capsys):
    assert topics.main(["list", "--bootstrap-servers", kafka_bootstrap, "--namespace", "never-created."]) == 1
    assert "MISSING" in capsys.readouterr().out
