"""Split the search document into narrow filter columns and text tokens.

``fields`` mixed exact string values with the token lists of text fields, so
every filter and facet read (and decompressed) the tokens too. This revision
moves the tokens to ``tokens``, gives the filters CKAN sends with every
search (``state``, ``entity_type``, ``dataset_type``, ``capacity``) their own
columns, adds ``rank_words`` (title, tags and description only) so ranking
reads a short vector, and indexes ``seq`` and ``metadata_modified DESC NULLS
LAST`` (CKAN's default sort) so pages come from an index.
Existing rows are converted in place.

Revision ID: 8e4a6c2d9f10
Revises: 5f3b9c1d7e42
Create Date: 2026-12-04
"""
from alembic import op

revision = "8e4a6c2d9f10"
down_revision = "5f3b9c1d7e42"
branch_labels = None
depends_on = None

# The tokenised fields of CKAN's Solr schema, as in backend/lucene.py when
# this revision was written.
TEXT_FIELDS = (
    "title", "notes", "author", "author_email", "maintainer",
    "maintainer_email", "res_name", "res_description", "text", "urls",
    "depends_on", "dependency_of", "derives_from", "has_derivation",
    "links_to", "linked_from", "child_of", "parent_of",
)
TEXT_KEY_CONDITION = (
    "(key = ANY(ARRAY[%s]) OR key LIKE 'extras\\_%%' OR key LIKE 'res\\_extras\\_%%')"
    % ", ".join("'%s'" % name for name in TEXT_FIELDS)
)


def upgrade():
    op.execute(
        """
        ALTER TABLE tjportal_search_document
            ADD COLUMN IF NOT EXISTS tokens jsonb NOT NULL DEFAULT '{}',
            ADD COLUMN IF NOT EXISTS state text,
            ADD COLUMN IF NOT EXISTS entity_type text,
            ADD COLUMN IF NOT EXISTS dataset_type text,
            ADD COLUMN IF NOT EXISTS capacity text,
            ADD COLUMN IF NOT EXISTS rank_words tsvector NOT NULL DEFAULT ''
        """
    )
    op.execute(
        """
        UPDATE tjportal_search_document SET
            tokens = COALESCE((SELECT jsonb_object_agg(key, value) FROM jsonb_each(fields)
                               WHERE {text_key}), '{{}}'),
            fields = COALESCE((SELECT jsonb_object_agg(key, value) FROM jsonb_each(fields)
                               WHERE NOT {text_key}), '{{}}'),
            state = fields -> 'state' ->> 0,
            entity_type = fields -> 'entity_type' ->> 0,
            dataset_type = fields -> 'dataset_type' ->> 0,
            capacity = fields -> 'capacity' ->> 0,
            rank_words = ts_filter(words, '{{a,b,c}}')
        """.format(text_key=TEXT_KEY_CONDITION)
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS tjportal_search_document_tokens_idx "
        "ON tjportal_search_document USING gin (tokens jsonb_path_ops)"
    )
    op.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS tjportal_search_document_seq_idx "
        "ON tjportal_search_document (seq)"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS tjportal_search_document_modified_seq_idx "
        "ON tjportal_search_document (metadata_modified DESC NULLS LAST, seq)"
    )


def downgrade():
    op.execute("DROP INDEX IF EXISTS tjportal_search_document_modified_seq_idx")
    op.execute("DROP INDEX IF EXISTS tjportal_search_document_seq_idx")
    op.execute("DROP INDEX IF EXISTS tjportal_search_document_tokens_idx")
    op.execute("UPDATE tjportal_search_document SET fields = fields || tokens")
    op.execute(
        """
        ALTER TABLE tjportal_search_document
            DROP COLUMN IF EXISTS tokens,
            DROP COLUMN IF EXISTS state,
            DROP COLUMN IF EXISTS entity_type,
            DROP COLUMN IF EXISTS dataset_type,
            DROP COLUMN IF EXISTS capacity,
            DROP COLUMN IF EXISTS rank_words
        """
    )
