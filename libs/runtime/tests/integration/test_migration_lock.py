"""Replicas that start together on one PostgreSQL database migrate one after the other."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, inspect

from work4life.runtime import migrations
from work4life.runtime.testing import fresh_postgres_database

pytestmark = pytest.mark.integration


def test_four_replicas_migrating_at_once_all_succeed(postgres_server_url):
    url = fresh_postgres_database(postgres_server_url)
    engines = [create_engine(url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda e: migrations.upgrade(e, "work4life.intake"), engines))
        assert results == [None] * 4
        assert "beneficiary" in inspect(engines[0]).get_table_names()
    finally:
        for engine in engines:
            engine.dispose()
