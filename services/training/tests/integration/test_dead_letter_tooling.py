"""The dead-letter tooling on the real broker: a referral that arrived before its consent was
dead-lettered; the tool lists it with its reason and source offset, shows it, and once the
consent is there, replays it; the service then makes the candidate. A second replay changes
nothing. What waits is counted from the topic itself: a restarted service and a second replica
report the letter until it is replayed, and none after; a letter written twice counts once."""

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


async def waiting_letters(client, source: str, expected: float) -> float:
    """The service's figure of dead letters waiting, once it equals `expected` (or after 20 s)."""
    value = -1.0
    for _ in range(200):
        for line in (await client.get("/metrics")).text.splitlines():
            if line.startswith("w4l_dead_letters_waiting{") and f'source_topic="{source}"' in line:
                value = float(line.rsplit(" ", 1)[1])
        if value == expected:
            break
        await asyncio.sleep(0.1)
    return value


async def test_a_dead_letter_is_listed_shown_and_replayed_after_the_fix(
    kafka_bootstrap, sqlite_url, topic_namespace, capsys
):
    settings = training_settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=sqlite_url,
        topic_namespace=topic_namespace,
        topic_partitions=1,
        consumer_retry_backoff_s=0,
        lag_refresh_interval_s=0.3,
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
        # What a consumer killed between writing the letter and committing its offset leaves behind:
        # the same message set aside twice. It is one letter waiting, not two.
        copy = [(k, v.encode()) for k, v in letter.headers.items()]
        produce_raw(kafka_bootstrap, settings.dead_letter_topic, [(letter.key, letter.value, copy)])

        assert await asyncio.to_thread(dead_letters.main, [*cli, "list", "training"]) == 0
        listed = capsys.readouterr().out
        assert "2 dead letter(s)" in listed and "1 waiting" in listed and "intake.referral_made" in listed
        assert "(repeats 0:0)" in listed
        assert f"from {source}[0]@0" in listed
        assert await waiting_letters(client, source, 1) == 1
        assert await asyncio.to_thread(dead_letters.main, [*cli, "show", "training", "0:0"]) == 0
        assert str(referral_id) in capsys.readouterr().out

    # A restart, and a second replica (same database, same consumer group): both still see the letter.
    async with running(settings) as (client, _app), running(settings) as (other, _other):
        assert await waiting_letters(client, source, 1) == 1
        assert await waiting_letters(other, source, 1) == 1

        produce_raw(kafka_bootstrap, source, [consent])  # the fix: the consent is now known
        await asyncio.sleep(1.0)
        assert await candidates(client) == 0
        assert await asyncio.to_thread(dead_letters.main, [*cli, "replay", "training", "--all"]) == 0
        replayed = capsys.readouterr().out
        assert f"replayed 0:0 (handler_error) to {source}" in replayed and "0:1" not in replayed
        for _ in range(200):
            if await candidates(client) == 1:
                break
            await asyncio.sleep(0.1)
        assert await candidates(client) == 1
        assert await waiting_letters(client, source, 0) == 0, "a replayed letter no longer waits"
        assert await waiting_letters(other, source, 0) == 0
        assert await asyncio.to_thread(dead_letters.main, [*cli, "list", "training"]) == 0
        assert "1 waiting" not in (listed := capsys.readouterr().out) and "0 waiting" in listed
        assert "replayed" in listed
        assert await asyncio.to_thread(dead_letters.main, [*cli, "replay", "training", "--all"]) == 1

        assert await asyncio.to_thread(dead_letters.main, [*cli, "replay", "training", "0:0"]) == 0
        await asyncio.sleep(1.5)
        assert await candidates(client) == 1, "a second replay changes nothing"
        metrics = (await client.get("/metrics")).text + (await other.get("/metrics")).text
        assert 'outcome="duplicate"' in metrics  # taken by whichever replica holds the partition
