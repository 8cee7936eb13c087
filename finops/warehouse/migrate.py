"""Schema migrations with Alembic; each revision runs ``include/sql/migrations/REV.up|down.sql``."""

from __future__ import annotations

from pathlib import Path

from finops import paths
from finops.warehouse.db import FINOPS_DB_CONN_ID, sqlalchemy_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def run_sql_file(name: str) -> None:
    """Execute one migration SQL file inside the running Alembic transaction."""
    from alembic import op

    op.execute((paths.include_dir() / "sql" / "migrations" / f"{name}.sql").read_text())


def alembic_config(conn_id: str = FINOPS_DB_CONN_ID, url: str | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", (url or sqlalchemy_url(conn_id)).replace("%", "%%"))
    return config


def upgrade(revision: str = "head", **kwargs) -> None:
    from alembic import command

    command.upgrade(alembic_config(**kwargs), revision)


def downgrade(revision: str, **kwargs) -> None:
    from alembic import command

    command.downgrade(alembic_config(**kwargs), revision)


def current(**kwargs) -> str | None:
    """The revision the database is at, or None before the first upgrade."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine, pool

    from finops.warehouse.db import SCHEMA

    engine = create_engine(alembic_config(**kwargs).get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table_schema": SCHEMA})
        return context.get_current_revision()


def head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url="postgresql://unused")).get_current_head()
