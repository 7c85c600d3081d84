"""Create the download count table.

Revision ID: 3e8a2c6f1b90
Revises:
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "3e8a2c6f1b90"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    # One row per resource, format and day. The package id is stored as well
    # so that a dataset's total needs no join with the resource table.
    op.create_table(
        "tjportal_download_count",
        sa.Column("resource_id", sa.UnicodeText, nullable=False),
        sa.Column("format", sa.UnicodeText, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("resource_id", "format", "day"),
    )
    op.create_index(
        "idx_tjportal_download_count_package",
        "tjportal_download_count",
        ["package_id"],
    )


def downgrade():
    op.drop_index("idx_tjportal_download_count_package", table_name="tjportal_download_count")
    op.drop_table("tjportal_download_count")
