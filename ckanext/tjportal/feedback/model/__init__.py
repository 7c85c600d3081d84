"""Models of the feedback tables, which the alembic revisions in
``migration/tjportal_feedback`` create."""
from __future__ import annotations

import datetime
from typing import Optional

from sqlalchemy import (
    Boolean, Column, Date, DateTime, ForeignKey, Integer, SmallInteger, UnicodeText, UniqueConstraint,
)

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.model.types import make_uuid

SCORE_FIELDS = ("accuracy", "satisfaction", "timeliness", "usability")


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Rating(tk.BaseModel):
    """One user's rating (我要评价) of one dataset or data service."""

    __tablename__ = "tjportal_feedback_rating"

    id = Column(UnicodeText, primary_key=True, default=make_uuid)
    package_id = Column(UnicodeText, nullable=False)
    user_id = Column(UnicodeText, nullable=False)
    accuracy = Column(SmallInteger, nullable=False)
    satisfaction = Column(SmallInteger, nullable=False)
    timeliness = Column(SmallInteger, nullable=False)
    usability = Column(SmallInteger, nullable=False)
    comment = Column(UnicodeText)
    comment_hidden = Column(Boolean, nullable=False, default=False)
    hidden_by = Column(UnicodeText)
    created = Column(DateTime, nullable=False, default=utcnow)
    modified = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @classmethod
    def get(cls, reference: Optional[str]) -> Optional["Rating"]:
        if not reference:
            return None
        return model.Session.get(cls, reference)

    @classmethod
    def by_user(cls, package_id: str, user_id: str) -> Optional["Rating"]:
        return (
            model.Session.query(cls)
            .filter(cls.package_id == package_id, cls.user_id == user_id)
            .one_or_none()
        )


REPORT_KINDS = ("data", "metadata", "link", "other")
REPORT_SUBMITTED = "submitted"
REPORT_ACCEPTED = "accepted"
REPORT_REJECTED = "rejected"
REPORT_RESOLVED = "resolved"


class Report(tk.BaseModel):
    """An error report (纠错) on a dataset, data service or resource."""

    __tablename__ = "tjportal_feedback_report"

    id = Column(UnicodeText, primary_key=True, default=make_uuid)
    package_id = Column(UnicodeText, nullable=False)
    package_title = Column(UnicodeText, nullable=False)
    resource_id = Column(UnicodeText)
    owner_org = Column(UnicodeText)
    user_id = Column(UnicodeText, nullable=False)
    kind = Column(UnicodeText, nullable=False)
    description = Column(UnicodeText, nullable=False)
    contact = Column(UnicodeText)
    state = Column(UnicodeText, nullable=False, default=REPORT_SUBMITTED)
    reason = Column(UnicodeText)
    reply = Column(UnicodeText)
    handler_id = Column(UnicodeText)
    due_date = Column(Date, nullable=False)
    created = Column(DateTime, nullable=False, default=utcnow)
    modified = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @classmethod
    def get(cls, reference: Optional[str]) -> Optional["Report"]:
        if not reference:
            return None
        return model.Session.get(cls, reference)


SUGGESTION_TYPES = ("dataset", "dataservice", "either")
SUGGESTION_SUBMITTED = "submitted"
SUGGESTION_ACCEPTED = "accepted"
SUGGESTION_REJECTED = "rejected"
SUGGESTION_FULFILLED = "fulfilled"


class Suggestion(tk.BaseModel):
    """An open-data suggestion (开放建议): data a user wants published."""

    __tablename__ = "tjportal_feedback_suggestion"

    id = Column(UnicodeText, primary_key=True, default=make_uuid)
    user_id = Column(UnicodeText, nullable=False)
    title = Column(UnicodeText, nullable=False)
    wanted_type = Column(UnicodeText, nullable=False)
    reason = Column(UnicodeText, nullable=False)
    organization_id = Column(UnicodeText)
    group_id = Column(UnicodeText)
    state = Column(UnicodeText, nullable=False, default=SUGGESTION_SUBMITTED)
    reply = Column(UnicodeText)
    package_id = Column(UnicodeText)
    handler_id = Column(UnicodeText)
    due_date = Column(Date, nullable=False)
    created = Column(DateTime, nullable=False, default=utcnow)
    modified = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @classmethod
    def get(cls, reference: Optional[str]) -> Optional["Suggestion"]:
        if not reference:
            return None
        return model.Session.get(cls, reference)


class SuggestionSupport(tk.BaseModel):
    """One user's support (+1) of a suggestion."""

    __tablename__ = "tjportal_feedback_suggestion_support"

    suggestion_id = Column(UnicodeText, primary_key=True)
    user_id = Column(UnicodeText, primary_key=True)
    created = Column(DateTime, nullable=False, default=utcnow)


class Faq(tk.BaseModel):
    """A question and answer of the FAQ (常见问题), in a category."""

    __tablename__ = "tjportal_feedback_faq"

    id = Column(UnicodeText, primary_key=True, default=make_uuid)
    category = Column(UnicodeText, nullable=False)
    question = Column(UnicodeText, nullable=False)
    answer = Column(UnicodeText, nullable=False)
    position = Column(Integer, nullable=False, default=0)
    created = Column(DateTime, nullable=False, default=utcnow)
    modified = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @classmethod
    def get(cls, reference: Optional[str]) -> Optional["Faq"]:
        if not reference:
            return None
        return model.Session.get(cls, reference)


SURVEY_QUESTION_KINDS = ("single", "multiple", "text")


class Survey(tk.BaseModel):
    """A survey (调查问卷) that sysadmins publish; it takes answers from
    ``opens`` until ``closes`` (both UTC)."""

    __tablename__ = "tjportal_feedback_survey"

    id = Column(UnicodeText, primary_key=True, default=make_uuid)
    title = Column(UnicodeText, nullable=False)
    description = Column(UnicodeText, nullable=False, default="")
    opens = Column(DateTime, nullable=False)
    closes = Column(DateTime, nullable=False)
    creator_id = Column(UnicodeText)
    created = Column(DateTime, nullable=False, default=utcnow)
    modified = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @classmethod
    def get(cls, reference: Optional[str]) -> Optional["Survey"]:
        if not reference:
            return None
        return model.Session.get(cls, reference)


class SurveyQuestion(tk.BaseModel):
    """A question of a survey: single choice, multiple choice or free text."""

    __tablename__ = "tjportal_feedback_survey_question"

    id = Column(UnicodeText, primary_key=True, default=make_uuid)
    survey_id = Column(UnicodeText, ForeignKey("tjportal_feedback_survey.id", ondelete="CASCADE"), nullable=False)
    position = Column(Integer, nullable=False)
    kind = Column(UnicodeText, nullable=False)
    text = Column(UnicodeText, nullable=False)
    required = Column(Boolean, nullable=False, default=False)


class SurveyOption(tk.BaseModel):
    """An option of a choice question."""

    __tablename__ = "tjportal_feedback_survey_option"

    id = Column(UnicodeText, primary_key=True, default=make_uuid)
    question_id = Column(
        UnicodeText, ForeignKey("tjportal_feedback_survey_question.id", ondelete="CASCADE"), nullable=False
    )
    position = Column(Integer, nullable=False)
    text = Column(UnicodeText, nullable=False)


class SurveyResponse(tk.BaseModel):
    """One user's submitted answers to a survey; a user submits once."""

    __tablename__ = "tjportal_feedback_survey_response"
    __table_args__ = (UniqueConstraint("survey_id", "user_id"),)

    id = Column(UnicodeText, primary_key=True, default=make_uuid)
    survey_id = Column(UnicodeText, ForeignKey("tjportal_feedback_survey.id", ondelete="CASCADE"), nullable=False)
    user_id = Column(UnicodeText, nullable=False)
    created = Column(DateTime, nullable=False, default=utcnow)


class SurveyAnswer(tk.BaseModel):
    """The answer of a response to one question: one row per chosen option,
    or one row with the text of a free-text question."""

    __tablename__ = "tjportal_feedback_survey_answer"

    id = Column(UnicodeText, primary_key=True, default=make_uuid)
    response_id = Column(
        UnicodeText, ForeignKey("tjportal_feedback_survey_response.id", ondelete="CASCADE"), nullable=False
    )
    question_id = Column(
        UnicodeText, ForeignKey("tjportal_feedback_survey_question.id", ondelete="CASCADE"), nullable=False
    )
    option_id = Column(UnicodeText, ForeignKey("tjportal_feedback_survey_option.id", ondelete="CASCADE"))
    text = Column(UnicodeText)
