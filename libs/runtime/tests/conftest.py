import pytest

from work4life.runtime import db


@pytest.fixture
def engine(sqlite_url):
    """A SQLite database with every table imported so far."""
    engine = db.make_engine(sqlite_url)
    db.create_schema(engine)
    yield engine
    engine.dispose()
