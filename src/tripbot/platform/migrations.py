"""Each service's Alembic migrations, run programmatically against its own database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from alembic.operations.ops import CreateIndexOp, CreateTableOp
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, text

from tripbot.platform.db import WRITE_LOCK, Database, new_metadata


def alembic_config(script_location: Path, database: Database | None = None) -> Config:
    """An Alembic configuration for one service's migrations folder."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    if database is not None:
        config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return config


def upgrade(database: Database, script_location: Path, revision: str = "head") -> None:
    """Apply a service's pending migrations in one transaction (safe to run twice)."""
    config = alembic_config(script_location, database)
    # Concurrent starts migrate one at a time (SQLite's write lock, a PostgreSQL advisory lock);
    # the others then find nothing to do.
    with database.engine.execution_options(**{WRITE_LOCK: True}).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('tripbot.migrate'))"))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def pending(database: Database, script_location: Path) -> bool:
    """Whether the database is behind the service's newest migration."""
    head = ScriptDirectory.from_config(alembic_config(script_location)).get_current_head()
    with database.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current != head


def create_shared_table(declare: Callable[[MetaData], Table]) -> None:
    """In a service's migration, create a table the platform declares (the outbox, the feed
    cursors, the idempotency keys) as declared, with its indexes, named as the service's own."""
    table = declare(new_metadata())
    op.invoke(CreateTableOp.from_table(table))
    for index in sorted(table.indexes, key=lambda index: str(index.name)):
        op.invoke(CreateIndexOp.from_index(index))


def drop_shared_table(declare: Callable[[MetaData], Table]) -> None:
    """In a service's migration, drop a table the platform declares, and its indexes."""
    table = declare(new_metadata())
    for index in table.indexes:
        op.drop_index(str(index.name), table_name=table.name)
    op.drop_table(table.name)


def run_env(metadata: MetaData) -> None:
    """The body of every service's ``env.py``: migrate on the connection given, or the URL."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        database = Database(config.get_main_option("sqlalchemy.url") or "")
        with database.engine.begin() as own_connection:
            _run(own_connection, metadata)
        database.dispose()
    else:
        _run(connection, metadata)


def _run(connection: object, metadata: MetaData) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
