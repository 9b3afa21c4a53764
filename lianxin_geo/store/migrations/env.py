"""Alembic environment of the store: run programmatically on the connection the store hands over.

No ``alembic.ini`` is needed: :func:`lianxin_geo.store.engine.migrate` builds the configuration
in code and passes its open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=connection.dialect.name == "sqlite",
                  transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
