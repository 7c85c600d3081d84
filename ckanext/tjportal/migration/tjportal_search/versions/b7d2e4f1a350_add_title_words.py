"""Add ``title_words``, the title's part of ``rank_words``, with a GIN index.

A search for a common word can match a third of a large catalogue, and
ranking every match reads each row's ``rank_words``. Matches in the title
score highest, so ``backend/ranking.py`` first ranks only the rows whose
title contains a query word, found through this column's index, and ranks
every match only when that first page cannot be proven complete.
Existing rows are filled from ``rank_words`` in place.

Revision ID: b7d2e4f1a350
Revises: 8e4a6c2d9f10
Create Date: 2026-12-04
"""
from alembic import op

revision = "b7d2e4f1a350"
down_revision = "8e4a6c2d9f10"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "ALTER TABLE tjportal_search_document "
        "ADD COLUMN IF NOT EXISTS title_words tsvector NOT NULL DEFAULT ''"
    )
    op.execute("UPDATE tjportal_search_document SET title_words = ts_filter(rank_words, '{a}')")
    op.execute(
        "CREATE INDEX IF NOT EXISTS tjportal_search_document_title_words_idx "
        "ON tjportal_search_document USING gin (title_words)"
    )


def downgrade():
    op.execute("DROP INDEX IF EXISTS tjportal_search_document_title_words_idx")
    op.execute("ALTER TABLE tjportal_search_document DROP COLUMN IF EXISTS title_words")
