"""`db.insert_many` on SQLite hands the driver tuples it converted itself: what it stores must be
exactly what SQLAlchemy's own executemany stores, for every kind of column reporting writes."""

import enum
import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from work4life.runtime import db


class Colour(enum.StrEnum):
    RED = "red"
    DARK_BLUE = "dark-blue"


def _tables(metadata: sa.MetaData, name: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("who", sa.Uuid, nullable=True),
        sa.Column("day", sa.Date),
        sa.Column("at", sa.DateTime(timezone=True)),
        sa.Column("flag", sa.Boolean),
        sa.Column("value", sa.Numeric(14, 2)),
        sa.Column("extra", sa.JSON),
        sa.Column("colour", db.stored_as_value(Colour)),
        sa.Column("label", sa.String),
    )


ROWS = [
    {
        "id": 1,
        "who": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "day": date(2026, 3, 1),
        "at": datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC),
        "flag": True,
        "value": 12.5,
        "extra": {"a": [1, 2], "b": None},
        "colour": Colour.DARK_BLUE,
        "label": "café",
    },
    {
        "id": 2,
        "who": None,
        "day": date(1999, 12, 31),
        "at": datetime(2000, 1, 1, tzinfo=UTC),
        "flag": False,
        "value": 0,
        "extra": None,
        "colour": Colour.RED,
        "label": None,
    },
]


def test_the_rows_stored_are_those_sqlalchemy_stores(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path}/t.db")
    metadata = sa.MetaData()
    ours, theirs = _tables(metadata, "ours"), _tables(metadata, "theirs")
    metadata.create_all(engine)
    with engine.begin() as connection:
        db.insert_many(connection, ours, [dict(row) for row in ROWS])
        connection.execute(sqlite.insert(theirs), [dict(row) for row in ROWS])
        stored = {
            name: connection.exec_driver_sql(f"SELECT * FROM {name} ORDER BY id").fetchall()
            for name in ("ours", "theirs")
        }
        read_back = connection.execute(sa.select(ours).order_by(ours.c.id)).mappings().all()
    assert stored["ours"] == stored["theirs"]
    assert [row["who"] for row in read_back] == [ROWS[0]["who"], None]
    assert read_back[0]["extra"] == {"a": [1, 2], "b": None}
    assert read_back[0]["colour"] == Colour.DARK_BLUE
    engine.dispose()


def test_an_upsert_adds_to_the_row_in_conflict(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path}/t.db")
    metadata = sa.MetaData()
    sums = sa.Table(
        "sums", metadata, sa.Column("day", sa.Date, primary_key=True), sa.Column("n", sa.Integer, nullable=False)
    )
    metadata.create_all(engine)

    def add(statement):
        return statement.on_conflict_do_update(index_elements=[sums.c.day], set_={"n": sums.c.n + statement.excluded.n})

    with engine.begin() as connection:
        for n in (2, 3):
            db.insert_many(
                connection, sums, [{"day": date(2026, 1, 1), "n": n}, {"day": date(2026, 2, 1), "n": 1}], add
            )
        assert connection.execute(sa.select(sums.c.day, sums.c.n).order_by(sums.c.day)).all() == [
            (date(2026, 1, 1), 5),
            (date(2026, 2, 1), 2),
        ]
    engine.dispose()


def test_python_defaults_and_returned_rows_keep_sqlalchemys_path(tmp_path):
    """A column with a default computed in Python is not among the rows' keys, and RETURNING asks
    for rows back: both go through SQLAlchemy, which fills the default and returns the rows."""
    engine = db.make_engine(f"sqlite:///{tmp_path}/t.db")
    metadata = sa.MetaData()
    stamped = sa.Table(
        "stamped",
        metadata,
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("made", sa.String, nullable=False, default=lambda: "by-python"),
    )
    metadata.create_all(engine)
    with engine.begin() as connection:
        db.insert_many(connection, stamped, [{"key": "a"}, {"key": "b"}])
        assert connection.execute(sa.select(stamped.c.made)).scalars().all() == ["by-python"] * 2

        def returning(statement):
            return statement.on_conflict_do_nothing().returning(stamped.c.key)

        returned = db.insert_many(
            connection, stamped, [{"key": "b", "made": "x"}, {"key": "c", "made": "x"}], returning
        )
        assert [row.key for row in returned] == ["c"]
    engine.dispose()
