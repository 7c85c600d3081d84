"""Create the error report table.

Revision ID: c7a3f1e9d202
Revises: b5d2e8f4a101
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "c7a3f1e9d202"
down_revision = "b5d2e8f4a101"
branch_labels = None
depends_on = None


def upgrade():
    # No foreign keys to the dataset or the department: reports outlive
    # both. The title is copied so the reporter can still read what a report
    # was about after the dataset is purged.
    op.create_table(
        "tjportal_feedback_report",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("package_title", sa.UnicodeText, nullable=False),
        sa.Column("resource_id", sa.UnicodeText),
        sa.Column("owner_org", sa.UnicodeText),
        sa.Column(
            "user_id",
            sa.UnicodeText,
            sa.ForeignKey("user.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("description", sa.UnicodeText, nullable=False),
        sa.Column("contact", sa.UnicodeText),
        sa.Column("state", sa.UnicodeText, nullable=False),
        sa.Column("reason", sa.UnicodeText),
        sa.Column("reply", sa.UnicodeText),
        sa.Column("handler_id", sa.UnicodeText),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("modified", sa.DateTime, nullable=False),
        sa.CheckConstraint(
            "kind IN ('data', 'metadata', 'link', 'other')",
            name="tjportal_feedback_report_kind_check",
        ),
        sa.CheckConstraint(
            "state IN ('submitted', 'accepted', 'rejected', 'resolved')",
            name="tjportal_feedback_report_state_check",
        ),
    )
    op.create_index("tjportal_feedback_report_user_idx", "tjportal_feedback_report", ["user_id"])
    op.create_index("tjportal_feedback_report_org_state_idx", "tjportal_feedback_report", ["owner_org", "state"])


def downgrade():
    op.drop_table("tjportal_feedback_report")
