"""Lists reach PostgreSQL as binary arrays on the engines `db.make_engine` makes: what they write
and what they select must be what text arrays wrote and selected, for every kind of column
reporting passes in a list, None and empty lists included."""

import uuid
from datetime import date

import sqlalchemy as sa
from psycopg.adapt import PyFormat
from psycopg.types.array import ListBinaryDumper

from work4life.runtime import db
from work4life.runtime.testing import fresh_postgres_database

PEOPLE = [uuid.uuid4() for _ in range(3)]
ROWS = [
    {"id": 1, "who": PEOPLE[0], "day": date(2026, 3, 1), "n": 2**40, "flag": True, "label": 'a "quoted", {odd} one'},
    {"id": 2, "who": PEOPLE[1], "day": None, "n": -3, "flag": None, "label": None},
    {"id": 3, "who": None, "day": date(1999, 12, 31), "n": 0, "flag": False, "label": "café"},
]


def test_lists_go_in_binary_and_write_and_select_what_text_arrays_did(postgres_server_url):
    url = fresh_postgres_database(postgres_server_url)
    engine = db.make_engine(url)
    metadata = sa.MetaData()
    table = sa.Table(
        "arrays",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("who", sa.Uuid, nullable=True),
        sa.Column("day", sa.Date, nullable=True),
        sa.Column("n", sa.BigInteger),
        sa.Column("flag", sa.Boolean, nullable=True),
        sa.Column("label", sa.String, nullable=True),
    )
    metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            adapters = connection.connection.dbapi_connection.adapters
            assert isinstance(adapters.get_dumper(list, PyFormat.AUTO)(list), ListBinaryDumper)
            db.insert_many(connection, table, [dict(row) for row in ROWS])  # one array per column
            stored = [dict(row) for row in connection.execute(sa.select(table).order_by(table.c.id)).mappings()]

            def among(column: str, values: list) -> list[int]:
                statement = sa.select(table.c.id).where(db.among("postgresql", table.c[column])).order_by(table.c.id)
                return list(connection.execute(statement, db.listed("postgresql", "ids", values)).scalars())

            picked = {
                "uuids": among("who", [PEOPLE[1], PEOPLE[0], PEOPLE[2]]),
                "texts": among("label", ["café", "nobody"]),
                "empty": among("who", []),
            }
        plain = sa.create_engine(url)  # psycopg's own defaults: text arrays, for comparison
        with plain.connect() as connection:
            anyone = table.c.who == sa.func.any(sa.bindparam("ids", type_=sa.ARRAY(sa.Uuid)))
            text_way = connection.execute(sa.select(table.c.id).where(anyone).order_by(table.c.id), {"ids": PEOPLE})
            assert list(text_way.scalars()) == picked["uuids"]
        plain.dispose()
    finally:
        engine.dispose()
    assert stored == ROWS
    assert picked == {"uuids": [1, 2], "texts": [3], "empty": []}
