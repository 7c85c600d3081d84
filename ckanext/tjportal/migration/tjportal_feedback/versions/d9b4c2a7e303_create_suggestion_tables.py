"""Create the open-data suggestion tables.

Revision ID: d9b4c2a7e303
Revises: c7a3f1e9d202
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "d9b4c2a7e303"
down_revision = "c7a3f1e9d202"
branch_labels = None
depends_on = None


def upgrade():
    # The department, topic and fulfilling dataset are kept as plain ids,
    # so a suggestion outlives all three.
    op.create_table(
        "tjportal_feedback_suggestion",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "user_id",
            sa.UnicodeText,
            sa.ForeignKey("user.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("wanted_type", sa.UnicodeText, nullable=False),
        sa.Column("reason", sa.UnicodeText, nullable=False),
        sa.Column("organization_id", sa.UnicodeText),
        sa.Column("group_id", sa.UnicodeText),
        sa.Column("state", sa.UnicodeText, nullable=False),
        sa.Column("reply", sa.UnicodeText),
        sa.Column("package_id", sa.UnicodeText),
        sa.Column("handler_id", sa.UnicodeText),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("modified", sa.DateTime, nullable=False),
        sa.CheckConstraint(
            "wanted_type IN ('dataset', 'dataservice', 'either')",
            name="tjportal_feedback_suggestion_type_check",
        ),
        sa.CheckConstraint(
            "state IN ('submitted', 'accepted', 'rejected', 'fulfilled')",
            name="tjportal_feedback_suggestion_state_check",
        ),
    )
    op.create_index("tjportal_feedback_suggestion_user_idx", "tjportal_feedback_suggestion", ["user_id"])
    op.create_index("tjportal_feedback_suggestion_state_idx", "tjportal_feedback_suggestion", ["state"])

    # One row per user who supports (+1) a suggestion.
    op.create_table(
        "tjportal_feedback_suggestion_support",
        sa.Column(
            "suggestion_id",
            sa.UnicodeText,
            sa.ForeignKey("tjportal_feedback_suggestion.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "user_id",
            sa.UnicodeText,
            sa.ForeignKey("user.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("created", sa.DateTime, nullable=False),
    )


def downgrade():
    op.drop_table("tjportal_feedback_suggestion_support")
    op.drop_table("tjportal_feedback_suggestion")
