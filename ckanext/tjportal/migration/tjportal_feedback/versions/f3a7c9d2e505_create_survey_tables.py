"""Create the survey tables.

Revision ID: f3a7c9d2e505
Revises: e2c6d8b1f404
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "f3a7c9d2e505"
down_revision = "e2c6d8b1f404"
branch_labels = None
depends_on = None


def upgrade():
    # Deleting a survey deletes its questions, options, responses and
    # answers through the cascading foreign keys.
    op.create_table(
        "tjportal_feedback_survey",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("description", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("opens", sa.DateTime, nullable=False),
        sa.Column("closes", sa.DateTime, nullable=False),
        sa.Column("creator_id", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("modified", sa.DateTime, nullable=False),
    )
    op.create_table(
        "tjportal_feedback_survey_question",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "survey_id", sa.UnicodeText,
            sa.ForeignKey("tjportal_feedback_survey.id", ondelete="CASCADE"), nullable=False, index=True,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("text", sa.UnicodeText, nullable=False),
        sa.Column("required", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "tjportal_feedback_survey_option",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "question_id", sa.UnicodeText,
            sa.ForeignKey("tjportal_feedback_survey_question.id", ondelete="CASCADE"), nullable=False, index=True,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("text", sa.UnicodeText, nullable=False),
    )
    op.create_table(
        "tjportal_feedback_survey_response",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "survey_id", sa.UnicodeText,
            sa.ForeignKey("tjportal_feedback_survey.id", ondelete="CASCADE"), nullable=False,
        ),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        # One response per user and survey, also under concurrent requests.
        sa.UniqueConstraint("survey_id", "user_id"),
    )
    op.create_table(
        "tjportal_feedback_survey_answer",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column(
            "response_id", sa.UnicodeText,
            sa.ForeignKey("tjportal_feedback_survey_response.id", ondelete="CASCADE"), nullable=False, index=True,
        ),
        sa.Column(
            "question_id", sa.UnicodeText,
            sa.ForeignKey("tjportal_feedback_survey_question.id", ondelete="CASCADE"), nullable=False, index=True,
        ),
        sa.Column(
            "option_id", sa.UnicodeText,
            sa.ForeignKey("tjportal_feedback_survey_option.id", ondelete="CASCADE"),
        ),
        sa.Column("text", sa.UnicodeText),
    )


def downgrade():
    op.drop_table("tjportal_feedback_survey_answer")
    op.drop_table("tjportal_feedback_survey_response")
    op.drop_table("tjportal_feedback_survey_option")
    op.drop_table("tjportal_feedback_survey_question")
    op.drop_table("tjportal_feedback_survey")
