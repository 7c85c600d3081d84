"""Create the search document table of the PostgreSQL search backend.

Revision ID: a1c0e5d2b001
Revises:
Create Date: 2026-12-04
"""
from alembic import op

revision = "a1c0e5d2b001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    # One row per indexed dataset, keyed like CKAN's Solr documents.
    #   fields: {field: [values]}; exact values for string fields, normalised
    #           tokens for text fields. Filters and facets read it.
    #   stored: the document as CKAN sent it, returned in search results.
    #   words:  weighted full-text vector (title A, tags B, notes C, rest D).
    #   seq:    order of indexing, the tie-break Solr applies to equal sort keys.
    op.execute("CREATE SEQUENCE IF NOT EXISTS tjportal_search_document_seq")
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS tjportal_search_document (
            index_id text PRIMARY KEY,
            id text NOT NULL,
            site_id text NOT NULL,
            name text,
            title_sort text,
            metadata_modified timestamptz,
            metadata_created timestamptz,
            permission_labels text[] NOT NULL DEFAULT '{}',
            fields jsonb NOT NULL,
            stored jsonb NOT NULL,
            words tsvector NOT NULL,
            seq bigint NOT NULL DEFAULT nextval('tjportal_search_document_seq'),
            indexed_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    # Parses a stored date for range queries; NULL when it is not a date.
    op.execute(
        """
        CREATE OR REPLACE FUNCTION _tjportal_search_timestamp(value text)
        RETURNS timestamptz LANGUAGE plpgsql IMMUTABLE AS $$
        BEGIN
            RETURN value::timestamptz;
        EXCEPTION WHEN others THEN
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS tjportal_search_document_fields_idx "
        "ON tjportal_search_document USING gin (fields jsonb_path_ops)"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS tjportal_search_document_words_idx "
        "ON tjportal_search_document USING gin (words)"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS tjportal_search_document_labels_idx "
        "ON tjportal_search_document USING gin (permission_labels)"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS tjportal_search_document_modified_idx "
        "ON tjportal_search_document (site_id, metadata_modified DESC)"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS tjportal_search_document_id_idx "
        "ON tjportal_search_document (id)"
    )


def downgrade():
    op.execute("DROP TABLE IF EXISTS tjportal_search_document")
    op.execute("DROP SEQUENCE IF EXISTS tjportal_search_document_seq")
    op.execute("DROP FUNCTION IF EXISTS _tjportal_search_timestamp(text)")
