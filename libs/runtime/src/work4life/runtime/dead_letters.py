"""`w4l-dead-letters`: list, inspect and replay a service's dead letters.

    w4l-dead-letters list training                 # every dead letter, with its reason and source
    w4l-dead-letters show training 3               # one of them in full (headers and payload)
    w4l-dead-letters replay training 3 5           # after a fix: send them back to their source topic
    w4l-dead-letters replay training --all --reason handler_error

A replayed record goes back to the topic, partition key and headers it came from, so the service
reads it again in order with that person's later events. Replaying twice is harmless: once
processed, the event's id is in the service's inbox and a repeat is skipped. A replay also writes
a marker to the dead-letter topic naming the letter it sent back: what still *waits* (never
replayed) is then known from the topic alone, the same from every replica and after any restart;
each service publishes that figure as `w4l_dead_letters_waiting`, which the alert watches. A
consumer killed between writing a dead letter and committing its offset, or whose commit a broker
failure turned down, writes it again: such a repeat (same source position) is listed as one,
counts once and is not replayed by `--all`. Options `--bootstrap` (default
`$W4L_KAFKA_BOOTSTRAP_SERVERS` or 127.0.0.1:9092) and `--namespace` (a deployment's topic prefix)
say which Kafka to use.
"""

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from work4life.contracts.envelope import HEADER_EVENT_TYPE
from work4life.contracts.topics import (
    DEAD_LETTER_HEADER_CONSUMER_GROUP,
    DEAD_LETTER_HEADER_ERROR,
    DEAD_LETTER_HEADER_FAILED_AT,
    DEAD_LETTER_HEADER_REASON,
    DEAD_LETTER_HEADER_REPLAYED,
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
    replayed: bool = False
    repeat_of: str | None = None  # the first letter of the same source message, if this one repeats it

    @property
    def id(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def reason(self) -> str:
        return self.headers.get(DEAD_LETTER_HEADER_REASON, "?")

    @property
    def source(self) -> str:
        h = self.headers
        return f"{h.get(DEAD_LETTER_HEADER_SOURCE_TOPIC, '?')}[{h.get(DEAD_LETTER_HEADER_SOURCE_PARTITION, '?')}]@{h.get(DEAD_LETTER_HEADER_SOURCE_OFFSET, '?')}"

    @property
    def source_position(self) -> tuple[str | None, str | None, str | None]:
        h = self.headers
        return (
            h.get(DEAD_LETTER_HEADER_SOURCE_TOPIC),
            h.get(DEAD_LETTER_HEADER_SOURCE_PARTITION),
            h.get(DEAD_LETTER_HEADER_SOURCE_OFFSET),
        )

    @property
    def original_headers(self) -> list[tuple[str, bytes]]:
        return [(k, v.encode()) for k, v in self.headers.items() if k not in DLQ_HEADERS]


def _records(consumer: Any, topic: str, start: dict[Any, int] | None = None, timeout_s: float = 10.0) -> list[Any]:
    """The records of `topic` from `start` (per partition; default: the beginning) to its end now."""
    from kafka import TopicPartition

    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
    if not partitions:
        return []
    consumer.assign(partitions)
    beginning = consumer.beginning_offsets(partitions)
    for tp in partitions:
        consumer.seek(tp, max(beginning[tp], (start or {}).get(tp, 0)))
    end = consumer.end_offsets(partitions)
    remaining = {tp for tp in partitions if consumer.position(tp) < end[tp]}
    found: list[Any] = []
    polls = int(timeout_s / 0.5)
    while remaining and polls:
        polls -= 1
        for records in consumer.poll(timeout_ms=500).values():
            found += records
        for tp in list(remaining):
            if consumer.position(tp) >= end[tp]:
                remaining.discard(tp)
    return found


def _headers(record: Any) -> dict[str, str]:
    return {k: v.decode("utf-8", "replace") for k, v in (record.headers or [])}


def read(bootstrap: str, topic: str, timeout_s: float = 10.0, **client_options: Any) -> list[DeadLetter]:
    """Every dead letter of a dead-letter topic, oldest first (offsets are per partition), each
    saying whether it was replayed. `client_options`: kafka-python's (TLS, SASL)."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, **client_options)
    try:
        records = _records(consumer, topic, timeout_s=timeout_s)
    finally:
        consumer.close()
    replayed = {h[DEAD_LETTER_HEADER_REPLAYED] for h in map(_headers, records) if DEAD_LETTER_HEADER_REPLAYED in h}
    letters = [
        DeadLetter(r.offset, r.partition, r.key, r.value, h, replayed=f"{r.partition}:{r.offset}" in replayed)
        for r in records
        if DEAD_LETTER_HEADER_REPLAYED not in (h := _headers(r))
    ]
    letters.sort(key=lambda d: (d.headers.get(DEAD_LETTER_HEADER_FAILED_AT, ""), d.partition, d.offset))
    # A consumer killed between writing a dead letter and committing its offset sets the same
    # message aside again: the later copies name the first, and replaying any copy settles them all.
    first: dict[tuple[str | None, str | None, str | None], DeadLetter] = {}
    settled = {d.source_position for d in letters if d.replayed}
    marked = []
    for d in letters:
        original = first.setdefault(d.source_position, d)
        marked.append(
            replace(
                d,
                replayed=d.source_position in settled,
                repeat_of=None if original is d else original.id,
            )
        )
    return marked


class WaitingLetters:
    """What waits in one dead-letter topic (dead letters without a replay marker), by source topic
    and reason. Reads the topic from the start once, then only what is new at each `measure`; a
    letter that the topic's retention removed no longer waits. A consumer killed between writing a
    dead letter and committing its offset (or whose commit failed) sets the same message aside
    again: letters with the same source position count once, and replaying any copy of it settles
    it."""

    def __init__(self, topic: str, **client_options: Any) -> None:
        self.topic = topic
        self.client_options = client_options
        self._consumer: Any = None
        self._next: dict[Any, int] = {}
        self._letters: dict[tuple[int, int], tuple[str, str, tuple[str, str | None, str | None]]] = {}
        self._replayed: set[str] = set()

    def measure(self) -> dict[tuple[str, str], int]:
        from kafka import KafkaConsumer

        try:
            if self._consumer is None:
                self._consumer = KafkaConsumer(
                    client_id="w4l-dead-letters", group_id=None, enable_auto_commit=False, **self.client_options
                )
            for record in _records(self._consumer, self.topic, self._next):
                headers = _headers(record)
                if DEAD_LETTER_HEADER_REPLAYED in headers:
                    self._replayed.add(headers[DEAD_LETTER_HEADER_REPLAYED])
                else:
                    source = headers.get(DEAD_LETTER_HEADER_SOURCE_TOPIC, "?")
                    self._letters[(record.partition, record.offset)] = (
                        source,
                        headers.get(DEAD_LETTER_HEADER_REASON, "?"),
                        (
                            source,
                            headers.get(DEAD_LETTER_HEADER_SOURCE_PARTITION),
                            headers.get(DEAD_LETTER_HEADER_SOURCE_OFFSET),
                        ),
                    )
            self._next = {tp: self._consumer.position(tp) for tp in self._consumer.assignment()}
            assigned = list(self._next)
            beginning = (
                {tp.partition: o for tp, o in self._consumer.beginning_offsets(assigned).items()} if assigned else {}
            )
        except Exception:
            self.close()  # read again from the start next time
            raise
        kept = {
            position: letter
            for position, letter in self._letters.items()
            if position[1] >= beginning.get(position[0], 0)
        }
        settled = {letter[2] for (p, o), letter in kept.items() if f"{p}:{o}" in self._replayed}
        waiting = {letter[2]: letter[:2] for letter in kept.values() if letter[2] not in settled}
        counts: dict[tuple[str, str], int] = {}
        for kind in waiting.values():
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
        self._consumer, self._next, self._letters, self._replayed = None, {}, {}, set()


def replay(bootstrap: str, letters: Sequence[DeadLetter], dead_letter_topic: str, **client_options: Any) -> list[str]:
    """Send dead letters back to their source topics, with their key and original headers, then mark
    each as replayed in `dead_letter_topic`."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", **client_options)
    sent = []
    try:
        for letter in letters:
            topic = letter.headers.get(DEAD_LETTER_HEADER_SOURCE_TOPIC)
            if not topic:
                raise ValueError(f"dead letter {letter.partition}@{letter.offset} names no source topic")
            producer.send(topic, key=letter.key, value=letter.value, headers=letter.original_headers)
            sent.append(topic)
        producer.flush(timeout=30)  # back on their topics before they stop counting as waiting
        for letter in letters:
            marker = [(DEAD_LETTER_HEADER_REPLAYED, letter.id.encode())]
            producer.send(dead_letter_topic, key=letter.key, value=b"", headers=marker)
        producer.flush(timeout=30)
    finally:
        producer.close()
    return sent


def _pick(letters: list[DeadLetter], ids: Sequence[str], everything: bool, reason: str | None) -> list[DeadLetter]:
    chosen = [d for d in letters if not d.replayed and d.repeat_of is None] if everything else []
    if ids:
        wanted = {i if ":" in i else f"0:{i}" for i in ids}
        chosen = [d for d in letters if d.id in wanted]
        missing = wanted - {d.id for d in chosen}
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
    again.add_argument("--all", action="store_true", help="every dead letter still waiting (narrow it with --reason)")
    again.add_argument("--reason")
    args = parser.parse_args(argv)

    topic = f"{args.namespace}{args.service}.dead_letters"
    letters = read(args.bootstrap, topic)
    if args.command == "list":
        shown = [d for d in letters if args.reason is None or d.reason == args.reason]
        waiting = sum(not d.replayed and d.repeat_of is None for d in shown)
        print(f"{len(shown)} dead letter(s) in {topic}, {waiting} waiting (not replayed)")
        for d in shown:
            event = d.headers.get(HEADER_EVENT_TYPE, "(unknown)")
            failed = d.headers.get(DEAD_LETTER_HEADER_FAILED_AT, "")[:19]
            error = d.headers.get(DEAD_LETTER_HEADER_ERROR, "")[:80]
            state = "replayed" if d.replayed else "waiting"
            if d.repeat_of:
                error = f"(repeats {d.repeat_of}) {error}"
            print(f"{d.id:>8}  {state:8}  {failed}  {d.reason:16}  {event:34}  from {d.source}  {error}")
        return 0
    if args.command == "show":
        [letter] = _pick(letters, [args.id], False, None)
        print(json.dumps(_describe(letter), indent=2, ensure_ascii=False))
        return 0
    chosen = _pick(letters, args.ids, args.all, args.reason)
    if not chosen:
        print("nothing to replay: name dead letters by id, or pass --all", file=sys.stderr)
        return 1
    for letter, target in zip(chosen, replay(args.bootstrap, chosen, topic), strict=True):
        print(f"replayed {letter.id} ({letter.reason}) to {target}")
    return 0


def _describe(letter: DeadLetter) -> dict[str, Any]:
    try:
        payload: Any = json.loads(letter.value or b"")
    except ValueError:
        payload = (letter.value or b"").decode("utf-8", "replace")
    return {
        "id": letter.id,
        "key": (letter.key or b"").decode("utf-8", "replace"),
        "reason": letter.reason,
        "replayed": letter.replayed,
        "repeat_of": letter.repeat_of,
        "source": letter.source,
        "headers": letter.headers,
        "payload": payload,
    }


if __name__ == "__main__":
    sys.exit(main())
