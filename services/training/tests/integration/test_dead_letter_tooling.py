"""The dead-letter tooling on the real broker: a referral that arrived before its consent was
dead-lettered; the tool lists it with its reason and source offset, shows it, and once the
consent is there, replays it; the service then makes the candidate. A second replay changes
nothing."""

import asyncio
from uuid import uuid4

import pytest

from work4life.runtime import dead_letters
from work4life.runtime.broker import ensure_topics
from work4life.runtime.testing import produce_raw

from ..conftest import running, training_settings
from .test_real_broker import referral_records

pytestmark = pytest.mark.integration


async def candidates(client) -> int:
    return (await client.get("/v1/candidates", params={"status": "pending"})).json()["total"]


async def test_a_dead_letter_is_listed_shown_and_replayed_after_the_fix(
    kafka_bootstrap, sqlite_url, topic_namespace, capsys
):
    settings = training_settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=sqlite_url,
        topic_namespace=topic_namespace,
        topic_partitions=1,
        consumer_retry_backoff_s=0,
    )
    source = settings.topic("intake.beneficiaries")
    ensure_topics(kafka_bootstrap, [source, settings.dead_letter_topic], partitions=1)
    who, referral_id = uuid4(), uuid4()
    consent, referral = referral_records(who, referral_id)
    produce_raw(kafka_bootstrap, source, [referral])  # the consent has not arrived: dead-lettered
    cli = ["--bootstrap", kafka_bootstrap, "--namespace", topic_namespace]

    async with running(settings) as (client, _app):
        letters = []
        for _ in range(200):
            letters = await asyncio.to_thread(dead_letters.read, kafka_bootstrap, settings.dead_letter_topic)
            if letters:
                break
            await asyncio.sleep(0.1)
        [letter] = letters
        assert letter.reason == "handler_error" and letter.source == f"{source}[0]@0"

        assert await asyncio.to_thread(dead_letters.main, [*cli, "list", "training"]) == 0
        listed = capsys.readouterr().out
        assert "1 dead letter(s)" in listed and "intake.referral_made" in listed and f"from {source}[0]@0" in listed
        assert await asyncio.to_thread(dead_letters.main, [*cli, "show", "training", "0:0"]) == 0
        assert str(referral_id) in capsys.readouterr().out

        produce_raw(kafka_bootstrap, source, [consent])  # the fix: the consent is now known
        await asyncio.sleep(1.0)
        assert await candidates(client) == 0
        assert await asyncio.to_thread(dead_letters.main, [*cli, "replay", "training", "--all"]) == 0
        assert f"replayed 0:0 (handler_error) to {source}" in capsys.readouterr().out
        for _ in range(200):
            if await candidates(client) == 1:
                break
            await asyncio.sleep(0.1)
        assert await candidates(client) == 1

        assert await asyncio.to_thread(dead_letters.main, [*cli, "replay", "training", "0:0"]) == 0
        await asyncio.sleep(1.5)
        assert await candidates(client) == 1, "a second replay changes nothing"
        metrics = (await client.get("/metrics")).text
        assert 'outcome="duplicate"' in metrics
