"""Create the FAQ table.

Revision ID: e2c6d8b1f404
Revises: d9b4c2a7e303
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "e2c6d8b1f404"
down_revision = "d9b4c2a7e303"
branch_labels = None
depends_on = None


def upgrade():
    # Answers are Markdown, rendered and sanitised when shown.
    op.create_table(
        "tjportal_feedback_faq",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("category", sa.UnicodeText, nullable=False),
        sa.Column("question", sa.UnicodeText, nullable=False),
        sa.Column("answer", sa.UnicodeText, nullable=False),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("modified", sa.DateTime, nullable=False),
    )


def downgrade():
    op.drop_table("tjportal_feedback_faq")
