"""Keep ``rank_words`` in the row and add an index for listing public datasets.

Ranking reads ``rank_words`` from every match. PostgreSQL moved the vector
(about 1 kB compressed at 100,000 benchmark datasets) out of the row into
the TOAST table, so each match cost extra buffer reads there, 145 ms for
16,600 matches. With storage MAIN the compressed vector stays in the row.
Rows written before this revision keep theirs in the TOAST table until
they are indexed again.

The partial index covers what an anonymous visitor's list of datasets
filters and sorts on, so paging deep into that list and counting it read
the index alone (an index-only scan once VACUUM has set the visibility map).

Revision ID: c5e8a1f3b262
Revises: b7d2e4f1a350
Create Date: 2026-12-05
"""
from alembic import op

revision = "c5e8a1f3b262"
down_revision = "b7d2e4f1a350"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("ALTER TABLE tjportal_search_document ALTER COLUMN rank_words SET STORAGE MAIN")
    op.execute(
        "CREATE INDEX IF NOT EXISTS tjportal_search_document_public_modified_idx "
        "ON tjportal_search_document (metadata_modified DESC NULLS LAST, seq) "
        "INCLUDE (site_id, dataset_type, index_id) "
        "WHERE capacity = 'public' AND state = 'active' AND permission_labels && '{public}'::text[]"
    )


def downgrade():
    op.execute("DROP INDEX IF EXISTS tjportal_search_document_public_modified_idx")
    op.execute("ALTER TABLE tjportal_search_document ALTER COLUMN rank_words SET STORAGE EXTENDED")
