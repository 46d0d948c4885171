"""pytest fixtures shared by every service's tests (registered as the `work4life` plugin).

Real infrastructure comes, in this order of preference, from:
1. the environment: `W4L_TEST_KAFKA_BOOTSTRAP` (e.g. 127.0.0.1:9092) and `W4L_TEST_POSTGRES_URL`
   (a server URL whose user may create databases); the project's test command sets both;
2. Testcontainers, when a Docker engine answers;
3. otherwise the test is skipped with the reason, unless `W4L_TEST_REQUIRE_REAL=1` (set by the
   test command and CI), which turns a missing broker or database into a failure.
"""

import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

REQUIRE_REAL = os.environ.get("W4L_TEST_REQUIRE_REAL") == "1"

TEST_JWT_SECRET = "test-secret-for-work4life-tests-only-0123456789"


def bearer(role: str, organisation: str = "org-a", subject: str = "tester") -> dict[str, str]:
    """Authorization header of a test user."""
    from .auth import mint

    return {"Authorization": f"Bearer {mint(TEST_JWT_SECRET, subject=subject, role=role, organisation=organisation)}"}


def refusal(response: Any, field: str) -> str:
    """The reason of a 422 that names `field` and nothing else (fails the test otherwise)."""
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == field, error
    return str(error["reason"])


def letters_for(n: int) -> str:
    """A name part of Latin letters only, different for each n (0 -> "A", 25 -> "Z", 26 -> "Ba"):
    intake takes names in Latin script, without digits."""
    parts = []
    while True:
        n, digit = divmod(n, 26)
        parts.append(chr(ord("a") + digit))
        if n == 0:
            return "".join(reversed(parts)).capitalize()


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:
        return False


def _unavailable(what: str) -> None:
    message = f"needs {what}: set its address in the environment or run Docker for Testcontainers"
    if REQUIRE_REAL:
        pytest.fail(f"{message} (W4L_TEST_REQUIRE_REAL=1)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Address of a real Kafka broker."""
    if address := os.environ.get("W4L_TEST_KAFKA_BOOTSTRAP"):
        yield address
        return
    if not _docker_available():
        _unavailable("a Kafka broker (W4L_TEST_KAFKA_BOOTSTRAP)")
    from testcontainers.kafka import KafkaContainer

    with KafkaContainer("apache/kafka:4.1.1").with_kraft() as container:
        yield container.get_bootstrap_server()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """URL of a real PostgreSQL server (postgresql+psycopg://...), whose user may create databases."""
    if url := os.environ.get("W4L_TEST_POSTGRES_URL"):
        yield url
        return
    if not _docker_available():
        _unavailable("PostgreSQL (W4L_TEST_POSTGRES_URL)")
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16", driver="psycopg") as container:
        yield container.get_connection_url()


def fresh_postgres_database(server_url: str) -> str:
    """Create an empty database on the server and return its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    name = f"w4l_test_{uuid.uuid4().hex[:12]}"
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path}/service.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """An empty database: once a SQLite file, once a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/service.db"
    server = request.getfixturevalue("postgres_server_url")
    return fresh_postgres_database(server)


@pytest.fixture
def topic_namespace() -> str:
    """A prefix that gives each test its own topics on the shared broker."""
    return f"t{uuid.uuid4().hex[:10]}."


def read_topic(bootstrap: str, topic: str, *, expected: int, timeout_s: float = 60.0) -> list[Any]:
    """Read a topic from the beginning until `expected` records arrived or time ran out. It returns
    as soon as they are there; the long limit is for a broker slowed by a loaded machine (CI once
    saw fetches time out for over 20 s while the record was already on the topic).

    It assigns the topic's partitions itself rather than subscribing: a subscription without a
    group is assigned from the first metadata that lists the topic's partitions, and a consumer
    that saw none waited for the next refresh (five minutes by default) while the record sat on the
    topic (CI once read nothing for 60 s). Here the partitions are asked for until the broker names
    them, and a consumer that has read nothing for `reopen_after_s` is closed and opened afresh."""
    from kafka import KafkaConsumer, TopicPartition

    reopen_after_s = 15.0
    records: list[Any] = []
    deadline = time.monotonic() + timeout_s
    while len(records) < expected and time.monotonic() < deadline:
        consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            group_id=None,
            metadata_max_age_ms=1000,
        )
        try:
            records = []  # a fresh consumer reads from the beginning again
            opened = time.monotonic()
            partitions: set[int] = set()
            while not partitions and time.monotonic() < deadline:
                partitions = consumer.partitions_for_topic(topic)
                if not partitions:
                    time.sleep(0.2)
            if not partitions:
                break
            assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
            consumer.assign(assigned)
            consumer.seek_to_beginning(*assigned)
            while len(records) < expected and time.monotonic() < deadline:
                for batch in consumer.poll(timeout_ms=500).values():
                    records.extend(batch)
                if not records and time.monotonic() - opened > reopen_after_s:
                    break
        finally:
            consumer.close()
    return records


def produce_raw(bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]]) -> None:
    """Write records as they are (for duplicates and malformed input that no service would write)."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for key, value, headers in records:
            producer.send(topic, key=key, value=value, headers=headers)
        producer.flush(timeout=30)
    finally:
        producer.close()


def wait_until(predicate: Any, *, timeout_s: float = 20.0, interval_s: float = 0.05, message: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {message} (last value: {last!r})")


@asynccontextmanager
async def app_client(app: Any, base_url: str = "http://service") -> AsyncIterator[Any]:
    """Run a service app in this event loop (its lifespan: schema, relay, Kafka connection) and
    give an HTTP client to it."""
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield client


def schema_drift(url: str, package: str, tables: list[Any]) -> list[Any]:
    """Differences between `tables` (the service's models) and a database built by `package`'s
    migrations; empty when they are in step. The tables are named because a test process may
    import several services' models into SQLModel's one metadata."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import MetaData

    from . import db, migrations

    expected = MetaData()
    for table in tables:
        table.to_metadata(expected)
    engine = db.make_engine(url)
    try:
        migrations.upgrade(engine, package)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, expected)
            return [d for d in diff if not (d[0] == "remove_table" and d[1].name == "alembic_version")]
    finally:
        engine.dispose()


def tables_of(*modules: Any) -> list[Any]:
    """The tables declared by the SQLModel table classes defined in these modules."""
    tables = []
    for module in modules:
        for value in vars(module).values():
            table = getattr(value, "__table__", None)
            if isinstance(value, type) and table is not None and value.__module__ == module.__name__:
                tables.append(table)
    return tables


NO_BROKER: dict[str, Any] = {
    "kafka_bootstrap_servers": "127.0.0.1:9",
    "topic_namespace": "fuzz.",
    "create_topics": False,
}
"""Settings for an app that must publish nowhere (the fuzz tests): a closed port, its own topics."""


def fuzz_api(
    app: Any,
    headers: dict[str, str],
    *,
    min_operations: int,
    path_values: dict[str, list[str]] | None = None,
    also_as: tuple[dict[str, str], ...] | None = None,
) -> list[str]:
    """Send schema-generated requests (valid and invalid bodies, queries, paths) to every /v1/
    operation of `app`'s OpenAPI document and fail on the first 5xx, or on an answer the document
    does not describe (a status code it does not list, a body or content type other than it says).
    `headers` is the main identity; `also_as` (default: a caseworker of the same organisation)
    sends half as many requests again for each other identity. Returns the operations tried.

    Schemathesis makes a Hypothesis strategy of each operation (its pytest integration does not
    run under pytest 9 yet, so Hypothesis is driven directly). W4L_FUZZ_EXAMPLES sets the requests
    per operation (default 40); with CI=true the examples are the same every run, so a red build
    always means a new bug. `path_values` gives ids of records that exist: every other request
    uses one of them instead of a generated path parameter, so the fuzz reaches past the 404.
    """
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.core.result import Ok
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    CONFORMANCE = [status_code_conformance, response_schema_conformance, content_type_conformance]

    examples = int(os.environ.get("W4L_FUZZ_EXAMPLES", "40"))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # /health, /ready, /metrics and /asyncapi.json take no input; /ready answers 503 by design
    # while Kafka is not connected (the app runs without its lifespan here).
    loaded = list(schema.get_all_operations())
    broken = [r.err() for r in loaded if not isinstance(r, Ok)]
    assert not broken, f"the OpenAPI document has operations schemathesis cannot read: {broken}"
    operations = [op for op in (r.ok() for r in loaded if isinstance(r, Ok)) if op.path.startswith("/v1/")]
    assert len(operations) >= min_operations, "the OpenAPI document lost operations"
    identities = [(headers, examples)] + [
        (other, max(1, examples // 2))
        for other in (also_as if also_as is not None else (bearer("caseworker", "lead-ngo", "fuzzer"),))
    ]
    tried = []
    calls = [0]
    for operation, (identity, count) in ((op, who) for op in operations for who in identities):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=count,
            deadline=None,
            database=None,
            derandomize=os.environ.get("CI") == "true",
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: Any) -> None:
            calls[0] += 1
            for name, values in (path_values or {}).items():
                if case.path_parameters and name in case.path_parameters and calls[0] % 2:
                    case.path_parameters[name] = values[calls[0] % len(values)]
            response = case.call(headers=identity)  # noqa: B023 (run at once, in this iteration)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
            )
            # The answer is one the document lists, with the body and content type it documents.
            case.validate_response(response, checks=CONFORMANCE)

        no_server_error()
        if operation.label not in tried:
            tried.append(operation.label)
    return tried


async def kafka_connected(app: Any, timeout_s: float = 10.0) -> None:
    """Wait until the service's broker has started (it connects in the background after start-up;
    until then an in-memory broker has no subscriber set up to deliver to)."""
    import asyncio

    runtime = app.state.runtime
    for _ in range(int(timeout_s / 0.01)):
        if runtime.kafka_connected:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{runtime.settings.service_name} did not connect to Kafka within {timeout_s}s")


@dataclass
class Record:
    """A Kafka record as the consumer reads it (`runtime.consumer.Record`), made by a test."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Any = ()


def records_of(events: Sequence[tuple[str, Any]]) -> list[Record]:
    """(topic, envelope) pairs as the records a consumer would poll, one partition, in order."""
    from .events import encode, headers_for

    return [
        Record(
            topic,
            0,
            offset,
            envelope.key.encode(),
            encode(envelope),
            [(k, v.encode()) for k, v in headers_for(envelope).items()],
        )
        for offset, (topic, envelope) in enumerate(events)
    ]


async def consume_in_polls(app: Any, events: Sequence[tuple[str, Any]]) -> list[str]:
    """Hand a running service's consumer the events as polls of its `consumer_batch_size` records,
    each applied in one transaction as in production (the in-memory broker delivers one record a
    call, a transaction each: minutes for a programme of thousands of people on PostgreSQL).
    The outcome of each event, in order."""
    runtime = app.state.runtime
    records, size = records_of(events), runtime.settings.consumer_batch_size
    outcomes: list[str] = []
    for start in range(0, len(records), size):
        outcomes += await runtime.consumer.handle_batch(records[start : start + size])
    return outcomes


def _shows_nothing(response: Any) -> bool:
    """A 200 that lists nothing: a list route filtered to the caller's own organisation."""
    if response.status_code != 200:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return body == [] or (isinstance(body, dict) and body.get("items") == [])


def api_routes(routes: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(full path, APIRoute) of every route, looking inside included routers."""
    from fastapi.routing import APIRoute

    found = []
    for item in routes:
        if isinstance(item, APIRoute):
            found.append((prefix + item.path, item))
        elif hasattr(item, "original_router"):
            found += api_routes(item.original_router.routes, prefix + item.include_context.prefix)
        elif hasattr(item, "routes"):
            found += api_routes(item.routes, prefix + getattr(item, "path", ""))
    return found


def allowed_roles(route: Any) -> tuple[str, ...] | None:
    """The roles a route admits (from its `require(...)` dependency), or None for a route that
    checks no token."""
    from .auth import Gate

    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        if isinstance(dependency.call, Gate):
            return tuple(str(r) for r in dependency.call.roles)
        if getattr(dependency.call, "__name__", "") == "principal_of":
            return tuple(str(r) for r in ("me_viewer", "caseworker", "programme_manager", "admin"))
        stack.extend(dependency.dependencies)
    return None


def walk_access(
    app: Any,
    *,
    public: dict[str, str],
    path_values: dict[str, str] | None = None,
    owner_organisation: str | None = None,
    organisation_free: dict[str, str] | None = None,
    token_query: str | None = None,
) -> dict[str, int]:
    """Call every route of `app` under /v1/ (and /dashboard) as an intruder and assert a refusal
    each time; returns how many calls of each kind were made.

    - no token, an expired token, a token signed with another key: 401;
    - a token whose role the route does not admit (the most powerful such role): 403;
    - with `owner_organisation`, a caseworker of another organisation reading (GET) a route whose
      path names a record of that organisation (`path_values`: parameter -> an existing id): 403 or
      404, or an empty list (a list filtered to the caller's organisation);
      `organisation_free` lists the routes (METHOD path -> why) open to every organisation.

    `public` lists the routes that take no token, each with the reason. A route that the walk
    finds unprotected and that is not listed fails the test, so a new route cannot ship open.
    """
    from fastapi.testclient import TestClient

    from .auth import RANK, Role, mint

    client = TestClient(app, raise_server_exceptions=True)
    secret = TEST_JWT_SECRET
    counts = {"no_token": 0, "expired": 0, "bad_signature": 0, "wrong_role": 0, "wrong_organisation": 0}
    seen_public: set[str] = set()
    exempted: set[str] = set()
    open_to_others: list[str] = []

    def call(method: str, path: str, token: str | None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.request(method, path, headers=headers, json={} if method in ("POST", "PUT", "PATCH") else None)

    for full_path, route in api_routes(app.routes):
        if not full_path.startswith(("/v1/", "/dashboard")):
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            label = f"{method} {full_path}"
            roles = allowed_roles(route)
            if roles is None:
                assert label in public, f"{label} checks no token and is not listed as public"
                seen_public.add(label)
                continue
            path = full_path
            for name in route.param_convertors:
                value = (path_values or {}).get(name, str(uuid.uuid4()))
                path = path.replace("{" + name + "}", value)
            refusals = {
                "no_token": None,
                "expired": mint(secret, subject="x", role="admin", organisation="org-a", ttl_s=-3600),
                "bad_signature": mint("another-key-" + "k" * 40, subject="x", role="admin", organisation="org-a"),
            }
            for kind, token in refusals.items():
                response = call(method, path, token)
                assert response.status_code == 401, f"{label} with {kind}: {response.status_code} {response.text[:200]}"
                counts[kind] += 1
            if token_query:  # a token in the address is checked as strictly as in the header
                response = client.request(method, f"{path}?{token_query}={refusals['bad_signature']}")
                assert response.status_code == 401, f"{label} with a bad token in the address: {response.status_code}"
            refused = [r for r in Role if r.value not in roles]
            if refused:
                role = max(refused, key=RANK.__getitem__)
                token = mint(secret, subject="x", role=role, organisation=owner_organisation or "org-a")
                response = call(method, path, token)
                assert response.status_code == 403, (
                    f"{label} as {role.value}: {response.status_code} {response.text[:200]}"
                )
                assert role.value in response.text, f"{label}: the refusal does not name the role"
                counts["wrong_role"] += 1
            names_a_record = any(n in (path_values or {}) for n in route.param_convertors)
            # Reads only: a write as an intruder would stop at its body's validation (422) before
            # reaching the organisation check, which would prove nothing.
            if owner_organisation and names_a_record and "caseworker" in roles and method == "GET":
                if label in (organisation_free or {}):
                    exempted.add(label)
                    continue
                token = mint(secret, subject="intruder", role="caseworker", organisation="intruder-ngo")
                response = call(method, path, token)
                if response.status_code not in (403, 404) and not _shows_nothing(response):
                    open_to_others.append(f"{label}: {response.status_code}")
                counts["wrong_organisation"] += 1
    assert seen_public == set(public), f"listed as public but not found: {set(public) - seen_public}"
    assert not open_to_others, f"a caseworker of another organisation may read: {open_to_others}"
    unused = set(organisation_free or {}) - exempted
    assert not unused, f"listed as open to every organisation but not found: {unused}"
    return counts
