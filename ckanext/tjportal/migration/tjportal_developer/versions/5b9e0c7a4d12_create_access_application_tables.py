"""Create the tables of access applications (数据申请) for conditionally open
datasets and data services.

Revision ID: 5b9e0c7a4d12
Revises: d7e1a4c3b201
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "5b9e0c7a4d12"
down_revision = "d7e1a4c3b201"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tjportal_access_application",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "user_id",
            sa.UnicodeText,
            sa.ForeignKey("user.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "package_id",
            sa.UnicodeText,
            sa.ForeignKey("package.id", ondelete="CASCADE"),
            nullable=False,
        ),
        # The department that reviews the application: the dataset's
        # organization when the application was made.
        sa.Column("owner_org", sa.UnicodeText, nullable=False),
        sa.Column("purpose", sa.UnicodeText, nullable=False),
        sa.Column("intended_use", sa.UnicodeText, nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False),
        sa.Column("reject_reason", sa.UnicodeText),
        # Last day of the review period, in working days after submission.
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("reviewer_id", sa.UnicodeText),
        sa.Column("reviewed", sa.DateTime),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("modified", sa.DateTime, nullable=False),
    )
    op.create_index("tjportal_access_application_user_idx", "tjportal_access_application", ["user_id"])
    op.create_index(
        "tjportal_access_application_org_state_idx", "tjportal_access_application", ["owner_org", "state"]
    )
    op.create_table(
        "tjportal_access_application_resource",
        sa.Column(
            "application_id",
            sa.UnicodeText,
            sa.ForeignKey("tjportal_access_application.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("resource_id", sa.UnicodeText, primary_key=True),
    )
    op.create_index(
        "tjportal_access_application_resource_idx", "tjportal_access_application_resource", ["resource_id"]
    )


def downgrade():
    op.drop_table("tjportal_access_application_resource")
    op.drop_table("tjportal_access_application")
