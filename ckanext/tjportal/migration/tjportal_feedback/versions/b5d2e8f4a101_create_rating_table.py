"""Create the rating table.

Revision ID: b5d2e8f4a101
Revises:
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "b5d2e8f4a101"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    # package_id has no foreign key on purpose: ratings outlive a purged
    # dataset, as everything users submit does.
    op.create_table(
        "tjportal_feedback_rating",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column(
            "user_id",
            sa.UnicodeText,
            sa.ForeignKey("user.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("accuracy", sa.SmallInteger, nullable=False),
        sa.Column("satisfaction", sa.SmallInteger, nullable=False),
        sa.Column("timeliness", sa.SmallInteger, nullable=False),
        sa.Column("usability", sa.SmallInteger, nullable=False),
        sa.Column("comment", sa.UnicodeText),
        sa.Column("comment_hidden", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("hidden_by", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("modified", sa.DateTime, nullable=False),
        sa.UniqueConstraint("package_id", "user_id", name="tjportal_feedback_rating_package_user_key"),
        sa.CheckConstraint(
            "accuracy BETWEEN 1 AND 5 AND satisfaction BETWEEN 1 AND 5 "
            "AND timeliness BETWEEN 1 AND 5 AND usability BETWEEN 1 AND 5",
            name="tjportal_feedback_rating_score_check",
        ),
    )
    op.create_index("tjportal_feedback_rating_user_idx", "tjportal_feedback_rating", ["user_id"])


def downgrade():
    op.drop_table("tjportal_feedback_rating")
