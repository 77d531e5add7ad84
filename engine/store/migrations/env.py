"""Alembic's environment for Liaison: always handed a connection (engine.store.schema),
never a URL from an ini file, so one code path serves SQLite and PostgreSQL."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
