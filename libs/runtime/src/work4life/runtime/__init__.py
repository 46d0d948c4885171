"""The shared runtime every Work4Life service uses. No domain code lives here.

- `settings`: the typed base settings (each service subclasses it with its own env prefix);
- `db`: engines for SQLite (default) and PostgreSQL;
- `events`: building envelopes and reading them off the wire;
- `outbox`: the transactional outbox and the relay that publishes it;
- `inbox` + `consumer`: idempotent consumption, bounded retries, dead letters;
- `broker`: the durable Kafka producer/broker factory and topic creation;
- `metrics`, `logs`, `http`: the same observability in every service;
- `service`: wires these into one process (FastAPI + FastStream) with a clean start and stop;
- `testing`: pytest fixtures (real Kafka / PostgreSQL from the environment, or Testcontainers).
"""
