from ckanext.tjportal.migration.alembic_env import run

run(__file__)
