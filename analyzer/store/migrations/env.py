"""Alembic environment: run inside the connection (and transaction) ``db.upgrade_to_head`` opened."""
from __future__ import annotations

from alembic import context

from analyzer.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # the alembic command line: build an engine from sqlalchemy.url
    from analyzer.store.db import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                          transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                      transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()
