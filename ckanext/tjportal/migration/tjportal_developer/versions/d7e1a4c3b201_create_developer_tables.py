"""Create the developer registration and usage tables.

Revision ID: d7e1a4c3b201
Revises:
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "d7e1a4c3b201"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    # One registration per user. Contact details and the credit code are
    # personal data: only the developer and sysadmins may read them.
    op.create_table(
        "tjportal_developer",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "user_id",
            sa.UnicodeText,
            sa.ForeignKey("user.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("name", sa.UnicodeText, nullable=False),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("organization_name", sa.UnicodeText),
        sa.Column("credit_code", sa.UnicodeText),
        sa.Column("email", sa.UnicodeText, nullable=False),
        sa.Column("mobile", sa.UnicodeText, nullable=False),
        sa.Column("purpose", sa.UnicodeText, nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False),
        sa.Column("reject_reason", sa.UnicodeText),
        # The id (JWT "jti") of the portal token in core's api_token table.
        sa.Column("token_id", sa.UnicodeText),
        sa.Column("token_created", sa.DateTime),
        sa.Column("reviewer_id", sa.UnicodeText),
        sa.Column("reviewed", sa.DateTime),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("modified", sa.DateTime, nullable=False),
        sa.CheckConstraint(
            "kind IN ('individual', 'enterprise')",
            name="tjportal_developer_kind_check",
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected', 'revoked')",
            name="tjportal_developer_state_check",
        ),
    )
    op.create_index("tjportal_developer_state_idx", "tjportal_developer", ["state"])
    op.create_index("tjportal_developer_token_idx", "tjportal_developer", ["token_id"])

    # Metered calls per developer, DataStore resource and day (in the quota
    # time zone). Rows are added to in batches flushed from Redis.
    op.create_table(
        "tjportal_developer_usage",
        sa.Column(
            "developer_id",
            sa.UnicodeText,
            sa.ForeignKey("tjportal_developer.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("resource_id", sa.UnicodeText, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("calls", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "tjportal_developer_usage_resource_idx",
        "tjportal_developer_usage",
        ["resource_id", "day"],
    )


def downgrade():
    op.drop_table("tjportal_developer_usage")
    op.drop_table("tjportal_developer")
