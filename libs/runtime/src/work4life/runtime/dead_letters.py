"""`w4l-dead-letters`: list, inspect and replay a service's dead letters.

    w4l-dead-letters list training                 # every dead letter, with its reason and source
    w4l-dead-letters show training 3               # one of them in full (headers and payload)
    w4l-dead-letters replay training 3 5           # after a fix: send them back to their source topic
    w4l-dead-letters replay training --all --reason handler_error

A replayed record goes back to the topic, partition key and headers it came from, so the service
reads it again in order with that person's later events. Replaying twice is harmless: once
processed, the event's id is in the service's inbox and a repeat is skipped. Options
`--bootstrap` (default `$W4L_KAFKA_BOOTSTRAP_SERVERS` or 127.0.0.1:9092) and `--namespace` (a
deployment's topic prefix) say which Kafka to use.
"""

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from work4life.contracts.envelope import HEADER_EVENT_TYPE
from work4life.contracts.topics import (
    DEAD_LETTER_HEADER_CONSUMER_GROUP,
    DEAD_LETTER_HEADER_ERROR,
    DEAD_LETTER_HEADER_FAILED_AT,
    DEAD_LETTER_HEADER_REASON,
    DEAD_LETTER_HEADER_SOURCE_OFFSET,
    DEAD_LETTER_HEADER_SOURCE_PARTITION,
    DEAD_LETTER_HEADER_SOURCE_TOPIC,
)

DLQ_HEADERS = {
    DEAD_LETTER_HEADER_REASON,
    DEAD_LETTER_HEADER_ERROR,
    DEAD_LETTER_HEADER_SOURCE_TOPIC,
    DEAD_LETTER_HEADER_SOURCE_PARTITION,
    DEAD_LETTER_HEADER_SOURCE_OFFSET,
    DEAD_LETTER_HEADER_CONSUMER_GROUP,
    DEAD_LETTER_HEADER_FAILED_AT,
}


@dataclass(frozen=True)
class DeadLetter:
    offset: int
    partition: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, str]

    @property
    def reason(self) -> str:
        return self.headers.get(DEAD_LETTER_HEADER_REASON, "?")

    @property
    def source(self) -> str:
        h = self.headers
        return f"{h.get(DEAD_LETTER_HEADER_SOURCE_TOPIC, '?')}[{h.get(DEAD_LETTER_HEADER_SOURCE_PARTITION, '?')}]@{h.get(DEAD_LETTER_HEADER_SOURCE_OFFSET, '?')}"

    @property
    def original_headers(self) -> list[tuple[str, bytes]]:
        return [(k, v.encode()) for k, v in self.headers.items() if k not in DLQ_HEADERS]


def read(bootstrap: str, topic: str, timeout_s: float = 10.0) -> list[DeadLetter]:
    """Every record of a dead-letter topic, oldest first (offsets are per partition)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    letters: list[DeadLetter] = []
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            return []
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if end[tp] > 0}
        polls = int(timeout_s / 0.5)
        while remaining and polls:
            polls -= 1
            for records in consumer.poll(timeout_ms=500).values():
                for r in records:
                    headers = {k: v.decode("utf-8", "replace") for k, v in (r.headers or [])}
                    letters.append(DeadLetter(r.offset, r.partition, r.key, r.value, headers))
            for tp in list(remaining):
                if consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
    finally:
        consumer.close()
    return sorted(letters, key=lambda d: (d.headers.get(DEAD_LETTER_HEADER_FAILED_AT, ""), d.partition, d.offset))


def replay(bootstrap: str, letters: Sequence[DeadLetter]) -> list[str]:
    """Send dead letters back to their source topics, with their key and original headers."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    sent = []
    try:
        for letter in letters:
            topic = letter.headers.get(DEAD_LETTER_HEADER_SOURCE_TOPIC)
            if not topic:
                raise ValueError(f"dead letter {letter.partition}@{letter.offset} names no source topic")
            producer.send(topic, key=letter.key, value=letter.value, headers=letter.original_headers)
            sent.append(topic)
        producer.flush(timeout=30)
    finally:
        producer.close()
    return sent


def _id(letter: DeadLetter) -> str:
    return f"{letter.partition}:{letter.offset}"


def _pick(letters: list[DeadLetter], ids: Sequence[str], everything: bool, reason: str | None) -> list[DeadLetter]:
    chosen = letters if everything else []
    if ids:
        wanted = {i if ":" in i else f"0:{i}" for i in ids}
        chosen = [d for d in letters if _id(d) in wanted]
        missing = wanted - {_id(d) for d in chosen}
        if missing:
            raise SystemExit(f"error: no dead letter {', '.join(sorted(missing))} (see `list`)")
    return [d for d in chosen if reason is None or d.reason == reason]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="w4l-dead-letters", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default=os.environ.get("W4L_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--namespace", default="", help="the deployment's topic prefix, e.g. staging.")
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="every dead letter of a service: id, when, reason, event, source")
    listing.add_argument("service")
    listing.add_argument("--reason")
    show = sub.add_parser("show", help="one dead letter in full")
    show.add_argument("service")
    show.add_argument("id", help="partition:offset (or just the offset, on partition 0)")
    again = sub.add_parser("replay", help="send dead letters back to their source topic")
    again.add_argument("service")
    again.add_argument("ids", nargs="*", help="partition:offset ...")
    again.add_argument("--all", action="store_true", help="every dead letter (narrow it with --reason)")
    again.add_argument("--reason")
    args = parser.parse_args(argv)

    topic = f"{args.namespace}{args.service}.dead_letters"
    letters = read(args.bootstrap, topic)
    if args.command == "list":
        shown = [d for d in letters if args.reason is None or d.reason == args.reason]
        print(f"{len(shown)} dead letter(s) in {topic}")
        for d in shown:
            event = d.headers.get(HEADER_EVENT_TYPE, "(unknown)")
            failed = d.headers.get(DEAD_LETTER_HEADER_FAILED_AT, "")[:19]
            error = d.headers.get(DEAD_LETTER_HEADER_ERROR, "")[:80]
            print(f"{_id(d):>8}  {failed}  {d.reason:16}  {event:34}  from {d.source}  {error}")
        return 0
    if args.command == "show":
        [letter] = _pick(letters, [args.id], False, None)
        print(json.dumps(_describe(letter), indent=2, ensure_ascii=False))
        return 0
    chosen = _pick(letters, args.ids, args.all, args.reason)
    if not chosen:
        print("nothing to replay: name dead letters by id, or pass --all", file=sys.stderr)
        return 1
    for letter, target in zip(chosen, replay(args.bootstrap, chosen), strict=True):
        print(f"replayed {_id(letter)} ({letter.reason}) to {target}")
    return 0


def _describe(letter: DeadLetter) -> dict[str, Any]:
    try:
        payload: Any = json.loads(letter.value or b"")
    except ValueError:
        payload = (letter.value or b"").decode("utf-8", "replace")
    return {
        "id": _id(letter),
        "key": (letter.key or b"").decode("utf-8", "replace"),
        "reason": letter.reason,
        "source": letter.source,
        "headers": letter.headers,
        "payload": payload,
    }


if __name__ == "__main__":
    sys.exit(main())
