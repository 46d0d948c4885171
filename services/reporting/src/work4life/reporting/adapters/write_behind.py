"""Rows written together at commit: the read model's write-behind buffer.

Registrations and facts are most of what the projection writes. Their rows are kept in the
transaction (the consumer's batch, in `session.info`) and written when it commits, one upsert per
table, instead of two round trips an event. A handler that reads people or facts through the ORM
writes them first (`flush`), so it sees what the events before it in the batch did. The handlers
(`service_layer/handlers.py`) say what to write; this module only how.
"""

import functools
import itertools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, event, func, literal_column, text, update
from sqlmodel import Session, select

from work4life.runtime import db
from work4life.runtime.db import table

from ..domain.model import is_newer
from .orm import Activity, ErasedPerson, MergedPerson, Person

PEOPLE = table(Person)
FACTS = table(Activity)

_PENDING_PEOPLE = "reporting.pending_people"
_PENDING_CHANGES = "reporting.pending_person_changes"
_PENDING_FACTS = "reporting.pending_facts"
_TOUCHED = "reporting.touched_people"
_TOUCHED_UNITS = "reporting.touched_units"
_TOUCHED_BY = "reporting.touched_by"
_NEW_FACTS = "reporting.new_facts"
EXPLICITLY = "*"
"""In `take_touched_by`: the people a handler touched itself (an erasure, a merge)."""
PROFILED = "profile"
"""In `take_touched_by`: the people whose row the transaction wrote (a registration, a change to
their attributes), whose attributes may thus differ from those the hooks last saw."""

COMMIT_HOOKS: list[Callable[[Session], None]] = []
"""Run at commit after the rows are written, in order (the roll-ups, `service_layer/rollups.py`)."""
TOUCHING_KINDS: set[str] = set()
"""The kinds of facts whose person the hooks need to know of (the others touch nobody)."""
UNIT_KINDS: set[str] = set()
"""The kinds of facts whose unit (a venture) the hooks need to know of."""
WATCHED_KINDS: set[str] = set()
"""The kinds of facts whose people the hooks want to know apart (`take_touched_by`)."""
_rewrites_watched = False


def watch_rewrites(on: bool) -> None:
    """Tell the hooks which facts are new and which were told again (`take_new_facts`): a read of
    what the batch's write of the facts inserted, which only the hooks need."""
    global _rewrites_watched
    _rewrites_watched = on


@functools.cache
def _upsert(key: str, keep: tuple[str, ...] = ()) -> Any:
    """ON CONFLICT (key) DO UPDATE ... WHERE the row is not newer: a row told again by a newer
    event is corrected, an older telling changes nothing (`keep`: columns an update leaves)."""

    def finish(statement: Any) -> Any:
        table = statement.table
        changed = {c.name: statement.excluded[c.name] for c in table.c if c.name not in ("id", key, *keep)}
        return statement.on_conflict_do_update(
            index_elements=[table.c[key]], set_=changed, where=table.c.as_of <= statement.excluded.as_of
        )

    return finish


def _pending(session: Session, key: str, empty: Any = dict) -> Any:
    pending = session.info.get(key)
    if pending is None:
        pending = session.info[key] = empty()
        if not session.info.get("reporting.writes_on_commit"):
            event.listen(session, "before_commit", _at_commit)
            session.info["reporting.writes_on_commit"] = True
    return pending


def _at_commit(session: Session) -> None:
    flush(session)
    for hook in COMMIT_HOOKS:
        hook(session)


def on_commit(
    hook: Callable[[Session], None],
    kinds: Iterable[str],
    unit_kinds: Iterable[str] = (),
    watched_kinds: Iterable[str] = (),
) -> None:
    """Run `hook` at each commit, after the rows are written (once, however often it is asked);
    a fact touches its person for the hooks if it is of one of `kinds`, its unit if of `unit_kinds`;
    the people touched by facts of `watched_kinds` are also told apart, kind by kind."""
    TOUCHING_KINDS.update(kinds)
    UNIT_KINDS.update(unit_kinds)
    WATCHED_KINDS.update(watched_kinds)
    if hook not in COMMIT_HOOKS:
        COMMIT_HOOKS.append(hook)


def touch(session: Session, *people: UUID | None) -> None:
    """Note people whose facts or attributes the transaction changed other than through this
    module (an erasure, a merge), for the commit hooks."""
    _note(session, people)
    _pending(session, _TOUCHED_BY, dict).setdefault(EXPLICITLY, set()).update(p for p in people if p is not None)


def _note(session: Session, people: Iterable[UUID | None]) -> None:
    touched = _pending(session, _TOUCHED, set)
    touched.update(p for p in people if p is not None)


def _profiled(session: Session, people: Iterable[UUID]) -> None:
    if people:
        _pending(session, _TOUCHED_BY, dict).setdefault(PROFILED, set()).update(people)


def take_touched(session: Session) -> set[UUID]:
    """The people the transaction's writes touched since the last call (and forget them)."""
    touched: set[UUID] = session.info.pop(_TOUCHED, None) or set()
    return touched


def take_touched_by(session: Session) -> dict[str, set[UUID]]:
    """Of the people touched since the last call, those touched by facts of each watched kind,
    (under `EXPLICITLY`) by handlers themselves and (under `PROFILED`) by a write of their row; and
    forget them."""
    touched: dict[str, set[UUID]] = session.info.pop(_TOUCHED_BY, None) or {}
    return touched


def take_new_facts(session: Session) -> dict[int, UUID]:
    """The facts of touching kinds about people that the transaction inserted since the last call,
    by their rows' keys (`activity.id`), each with its person (and forget them). With
    `watch_rewrites` off, none. Those that were there already (told again) are not among them:
    their people count as touched `EXPLICITLY` (on PostgreSQL, only if the telling changed the
    fact)."""
    facts: dict[int, UUID] = session.info.pop(_NEW_FACTS, None) or {}
    return facts


def take_touched_units(session: Session) -> set[UUID]:
    """The units whose facts the transaction wrote since the last call (and forget them)."""
    touched: set[UUID] = session.info.pop(_TOUCHED_UNITS, None) or set()
    return touched


def flush(session: Session) -> None:
    """Write what the transaction's handlers recorded so far: the registrations (one statement),
    then the changes to people in the order they came (an executemany for each run of changes to
    the same columns), then the facts (one statement)."""
    people = session.info.pop(_PENDING_PEOPLE, None)
    changes = session.info.pop(_PENDING_CHANGES, None)
    facts = session.info.pop(_PENDING_FACTS, None)
    if people or changes or facts:
        rows = list((facts or {}).values())
        _note(
            session,
            [
                *(people or ()),
                *(change["who"] for change in changes or ()),
                *(row["beneficiary_id"] for row in rows if row["kind"] in TOUCHING_KINDS),
            ],
        )
        _profiled(session, [*(people or ()), *(change["who"] for change in changes or ())])
        for row in rows:
            if row["kind"] in WATCHED_KINDS and row["beneficiary_id"] is not None:
                _pending(session, _TOUCHED_BY, dict).setdefault(row["kind"], set()).add(row["beneficiary_id"])
        units = [row["unit_id"] for row in rows if row["kind"] in UNIT_KINDS and row["unit_id"]]
        if units:
            _pending(session, _TOUCHED_UNITS, set).update(units)
        connection = session.connection()
        touching = [row for row in rows if row["kind"] in TOUCHING_KINDS and row["beneficiary_id"] is not None]
        watched = _rewrites_watched and bool(touching)
        postgresql = connection.dialect.name == "postgresql"
        if people:
            db.insert_many(connection, PEOPLE, list(people.values()), _upsert("beneficiary_id", keep=("anonymised",)))
        for _, run in itertools.groupby(changes or (), key=lambda change: tuple(change)):
            connection.execute(_CHANGE_PERSON, list(run))
        if rows and watched and postgresql:
            written = db.insert_many(connection, FACTS, rows, _upsert_telling_inserted("fact_id"))
            _note_written_facts(session, touching, {fact: (key, inserted) for fact, key, inserted in written})
        elif rows and watched:
            last = connection.execute(_LAST_FACT).scalar_one()
            db.insert_many(connection, FACTS, rows, _upsert("fact_id"))
            inserted = {fact: (key, True) for fact, key in connection.execute(_FACTS_AFTER, {"last": last or 0})}
            _note_written_facts(session, touching, inserted, changed_only=False)
        elif rows:
            db.insert_many(connection, FACTS, rows, _upsert("fact_id"))


def _note_written_facts(
    session: Session, rows: list[dict[str, Any]], written: dict[str, tuple[int, bool]], changed_only: bool = True
) -> None:
    """Note which of the facts just written are new, by their keys, for the hooks; the people of
    those that were there already count as touched `EXPLICITLY`. `written`: by fact id, each row
    the write inserted or changed (`changed_only`, PostgreSQL's upsert returns those) or each it
    inserted (SQLite), with its key and whether it was inserted. On PostgreSQL a fact told again
    that changed nothing is not returned, and touches nobody's roll-ups."""
    new: dict[int, UUID] = {}
    again: set[UUID] = set()
    for row in rows:
        found = written.get(row["fact_id"])
        if found is not None and found[1]:
            new[found[0]] = row["beneficiary_id"]
        elif found is not None or not changed_only:
            again.add(row["beneficiary_id"])
    if again:
        _pending(session, _TOUCHED_BY, dict).setdefault(EXPLICITLY, set()).update(again)
    _pending(session, _NEW_FACTS, dict).update(new)


@functools.cache
def _upsert_telling_inserted(key: str) -> Any:
    """`_upsert`, returning each row it inserted or changed by `key`, with its row's key, and
    whether it inserted it (PostgreSQL: a row the statement inserted has no `xmax`; one it updated
    has the lock's)."""
    upsert = _upsert(key)

    def finish(statement: Any) -> Any:
        table = statement.table
        return upsert(statement).returning(table.c[key], table.c.id, literal_column("xmax = 0").label("inserted"))

    return finish


_LAST_FACT = select(func.max(FACTS.c.id))
"""SQLite: the last fact's key before a write of facts. SQLite numbers a new row after the
greatest key, and an upsert that changes a row keeps its key, so the rows with greater keys after
the write are those it inserted: a read of the table's end (the rows just written), instead of
looking up each fact by its id before writing it. No other connection writes in between: in a
transaction that has read, SQLite refuses a write if another has committed since."""
_FACTS_AFTER = select(FACTS.c.fact_id, FACTS.c.id).where(FACTS.c.id > bindparam("last"))


_CHANGE_PERSON = update(PEOPLE).where(
    PEOPLE.c.beneficiary_id == bindparam("who"), PEOPLE.c.as_of <= bindparam("changed_at")
)
"""A change to a person's attributes (the columns named in the parameters), unless the person
has a newer event applied already; a person reporting does not know is left unknown."""


def _tell(pending: dict[Any, dict[str, Any]], key: Any, row: dict[str, Any]) -> None:
    """Keep the newer of two tellings of the same row within the transaction."""
    told = pending.get(key)
    if told is None or is_newer(row["as_of"], told["as_of"]):
        pending[key] = row


def register_person(session: Session, beneficiary_id: UUID, occurred: datetime, attributes: dict[str, Any]) -> None:
    """The person's row, with the attributes of the newest event about them."""
    if _changed_if_loaded(session, beneficiary_id, occurred, attributes):
        return
    row = {"beneficiary_id": beneficiary_id, "anonymised": False, **attributes}
    _tell(_pending(session, _PENDING_PEOPLE), beneficiary_id, row)


def add_fact(session: Session, fact_id: str, row: dict[str, Any]) -> None:
    """A fact's row, the newer of two tellings within the transaction."""
    _tell(_pending(session, _PENDING_FACTS), fact_id, row)


def _changed_if_loaded(session: Session, beneficiary_id: UUID, occurred: datetime, columns: dict[str, Any]) -> bool:
    """When a handler before this one in the batch holds the person as an ORM object (erasure and
    merge read people that way), change that object instead, unless the event is older; True if so."""
    loaded = session.identity_map.get(session.identity_key(Person, beneficiary_id))
    if loaded is None:
        return False
    if is_newer(occurred, loaded.as_of):
        for name, value in {**columns, "as_of": occurred}.items():
            setattr(loaded, name, value)
        session.add(loaded)
        _note(session, [beneficiary_id])
        _profiled(session, [beneficiary_id])
    return True


def change_person(session: Session, beneficiary_id: UUID, occurred: datetime, **columns: Any) -> None:
    """Change a person's attributes when the batch commits (after their registration, which one
    person's events on one partition always bring first), in the order the events came."""
    if not _changed_if_loaded(session, beneficiary_id, occurred, columns):
        parameters = {"who": beneficiary_id, "changed_at": occurred, **columns, "as_of": occurred}
        _pending(session, _PENDING_CHANGES, list).append(parameters)


# -- merged and erased ids, per transaction ----------------------------------------------------


REDIRECT_LOCK = 0x57344C49
"""The PostgreSQL advisory lock between the handlers that erase or merge people (exclusive, taken
first: `changing_ids`) and the transactions that redirect ids by the erased and merged ids they
read (shared, from that read until they commit). With several consumers (replicas, a rebuild by
several processes), a fact written for a person while another consumer erases or merges them
would otherwise keep the person's old id: the erasure rewrites the facts it sees, and the fact was
not committed yet. With the lock, one of the two commits first and the other sees it."""


def _redirect_lock(session: Session, shared: bool) -> None:
    if session.get_bind().dialect.name == "postgresql":  # SQLite takes one writer at a time
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        session.execute(text(f"SELECT {function}(:key)"), {"key": REDIRECT_LOCK})


def changing_ids(session: Session) -> None:
    """Called first by a handler that erases or merges people: wait for the transactions that
    redirected ids by what they read, and make the next ones read after this one commits."""
    _redirect_lock(session, shared=False)


class Redirects:
    """Merged and erased ids, read once per transaction (the consumer's batch): most facts are
    about people neither merged nor erased, and asking the database that for each fact would cost
    two queries a fact. `merged` and `erased` keep it current within the transaction; the shared
    `REDIRECT_LOCK` keeps it current against other consumers until the transaction commits."""

    KEY = "reporting.redirects"

    def __init__(self, session: Session) -> None:
        _redirect_lock(session, shared=True)
        self.kept: dict[UUID, UUID] = dict(session.exec(select(MergedPerson.retired_id, MergedPerson.kept_id)).all())
        self.stand_ins: dict[str, UUID] = dict(session.exec(select(ErasedPerson.id_hash, ErasedPerson.stand_in)).all())

    @classmethod
    def of(cls, session: Session) -> "Redirects":
        redirects = session.info.get(cls.KEY)
        if redirects is None:
            redirects = session.info[cls.KEY] = cls(session)
        return redirects
