"""Add a text search configuration that stems English but keeps stop words.

PostgreSQL's ``english`` configuration drops stop words, so a query made only
of them ("after", "the") matched every dataset. CKAN's Solr ``text`` field
stems with Snowball and keeps every word; ``tjportal_search_english`` does the
same. Documents indexed before this revision keep vectors without stop words
until ``ckan search-index rebuild`` re-indexes them.

Revision ID: 5f3b9c1d7e42
Revises: a1c0e5d2b001
Create Date: 2026-12-04
"""
from alembic import op

revision = "5f3b9c1d7e42"
down_revision = "a1c0e5d2b001"
branch_labels = None
depends_on = None


def upgrade():
    # CKAN's test fixture drops every table but leaves text search objects,
    # and then re-applies this revision, so both statements skip existing ones.
    op.execute(
        """
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_ts_dict
                           WHERE dictname = 'tjportal_search_english_stem') THEN
                CREATE TEXT SEARCH DICTIONARY tjportal_search_english_stem
                    (TEMPLATE = snowball, LANGUAGE = english);
            END IF;
            IF NOT EXISTS (SELECT 1 FROM pg_ts_config
                           WHERE cfgname = 'tjportal_search_english') THEN
                CREATE TEXT SEARCH CONFIGURATION tjportal_search_english
                    (COPY = pg_catalog.english);
                ALTER TEXT SEARCH CONFIGURATION tjportal_search_english
                    ALTER MAPPING REPLACE english_stem WITH tjportal_search_english_stem;
            END IF;
        END
        $$
        """
    )


def downgrade():
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS tjportal_search_english")
    op.execute("DROP TEXT SEARCH DICTIONARY IF EXISTS tjportal_search_english_stem")
