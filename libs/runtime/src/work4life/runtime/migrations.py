"""Schema migrations with Alembic, one history per service.

Each service keeps its migrations inside its package (`work4life.<service>/migrations`, with
its `env.py` calling `run_migrations`), so a partner upgrades its own database alone: the service
upgrades to the newest revision at start-up, and `python -m work4life.runtime.migrations
<service> revision -m "..."` writes a new revision from the models.
"""

import argparse
import sys
from importlib import import_module
from importlib.resources import files

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Engine, MetaData, create_engine, pool

MIGRATION_LOCK_KEY = 0x57344C4D  # "W4LM": the PostgreSQL advisory lock held while migrating


def alembic_config(package: str, url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files(package) / "migrations"))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(engine: Engine, package: str) -> None:
    """Bring the database of `engine` to the newest revision of `package`'s migrations."""
    config = alembic_config(package)
    sqlite = engine.dialect.name == "sqlite"
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        if postgres:
            # Replicas starting together migrate one after the other; the later ones find nothing to do.
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
            connection.commit()
        try:
            if sqlite:
                # SQLite alters a table by copying it; foreign keys pointing at it must not fire meanwhile.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
        finally:
            if postgres:
                connection.rollback()
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
                connection.commit()


def run_migrations(metadata: MetaData) -> None:
    """The body of every service's `migrations/env.py`."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic's configuration names no sqlalchemy.url and passes no connection")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m work4life.runtime.migrations", description=__doc__)
    parser.add_argument("service", help="e.g. intake")
    sub = parser.add_subparsers(dest="command", required=True)
    revision = sub.add_parser(
        "revision", help="write the next revision (0002, 0003, ...) from what the models add to the newest one"
    )
    revision.add_argument("-m", "--message", required=True)
    sub.add_parser("upgrade", help="upgrade the service's database to the newest revision")
    sub.add_parser("history", help="list the revisions")
    args = parser.parse_args(argv)

    package = f"work4life.{args.service}"
    settings = import_module(f"{package}.config")
    settings_class = next(v for k, v in vars(settings).items() if k.endswith("Settings") and k != "ServiceSettings")
    url = settings_class().database_url
    config = alembic_config(package, url)
    if args.command == "revision":
        versions = files(package) / "migrations" / "versions"
        numbers = [int(f.name[:4]) for f in versions.iterdir() if f.name[:4].isdigit()]
        rev_id = f"{max(numbers, default=0) + 1:04d}"
        command.upgrade(config, "head")
        command.revision(config, message=args.message, autogenerate=True, rev_id=rev_id)
    elif args.command == "upgrade":
        command.upgrade(config, "head")
    else:
        command.history(config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
