"""Alembic environment shared by every tjportal plugin that owns tables.

Each plugin keeps its revisions in ``migration/<plugin name>/versions`` and its
own version table ``<plugin name>_alembic_version``, which is how
``ckan db upgrade -p <plugin name>`` finds and tracks them.
"""
from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool


def run(env_file: str) -> None:
    """Run the migrations of the plugin whose ``env.py`` is ``env_file``."""
    config = context.config
    if config.config_file_name:
        # Keep the loggers that already exist: migrations also run inside
        # the test process and in CKAN's CLI, whose logging must survive.
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    version_table = "{}_alembic_version".format(
        os.path.basename(os.path.dirname(os.path.abspath(env_file)))
    )

    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=None,
            literal_binds=True,
            version_table=version_table,
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=None,
            version_table=version_table,
        )
        with context.begin_transaction():
            context.run_migrations()
