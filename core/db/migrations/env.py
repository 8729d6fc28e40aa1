"""Alembic environment: runs on the connection the caller hands over in `config.attributes`."""

from alembic import context

from core.db.models import Base  # the area model modules register on the same Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
