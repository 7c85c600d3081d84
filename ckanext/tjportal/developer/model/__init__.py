"""Models of the developer tables, which the alembic revisions in
``migration/tjportal_developer`` create."""
from __future__ import annotations

import datetime
from typing import Optional

from sqlalchemy import BigInteger, Column, Date, DateTime, ForeignKey, UnicodeText
from sqlalchemy.orm import relationship

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.model.types import make_uuid

STATE_PENDING = "pending"
STATE_APPROVED = "approved"
STATE_REJECTED = "rejected"
STATE_REVOKED = "revoked"

KIND_INDIVIDUAL = "individual"
KIND_ENTERPRISE = "enterprise"


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Developer(tk.BaseModel):
    """A user's developer registration and the id of its portal API token."""

    __tablename__ = "tjportal_developer"

    id = Column(UnicodeText, primary_key=True, default=make_uuid)
    user_id = Column(UnicodeText, nullable=False, unique=True)
    name = Column(UnicodeText, nullable=False)
    kind = Column(UnicodeText, nullable=False)
    organization_name = Column(UnicodeText)
    credit_code = Column(UnicodeText)
    email = Column(UnicodeText, nullable=False)
    mobile = Column(UnicodeText, nullable=False)
    purpose = Column(UnicodeText, nullable=False)
    state = Column(UnicodeText, nullable=False, default=STATE_PENDING)
    reject_reason = Column(UnicodeText)
    token_id = Column(UnicodeText)
    token_created = Column(DateTime)
    reviewer_id = Column(UnicodeText)
    reviewed = Column(DateTime)
    created = Column(DateTime, nullable=False, default=_utcnow)
    modified = Column(DateTime, nullable=False, default=_utcnow, onupdate=_utcnow)

    @classmethod
    def get(cls, reference: Optional[str]) -> Optional["Developer"]:
        """Return the developer with this id, or None."""
        if not reference:
            return None
        return model.Session.get(cls, reference)

    @classmethod
    def by_user(cls, user_id: str) -> Optional["Developer"]:
        """Return the registration of the user with this id, or None."""
        return model.Session.query(cls).filter(cls.user_id == user_id).one_or_none()

    @classmethod
    def by_token(cls, token_id: str) -> Optional["Developer"]:
        """Return the developer whose current portal token has this id, or None."""
        return model.Session.query(cls).filter(cls.token_id == token_id).one_or_none()

    @property
    def user(self) -> Optional[model.User]:
        return model.User.get(self.user_id)


class DeveloperUsage(tk.BaseModel):
    """Number of metered calls of one developer on one resource in one day."""

    __tablename__ = "tjportal_developer_usage"

    developer_id = Column(UnicodeText, primary_key=True)
    resource_id = Column(UnicodeText, primary_key=True)
    day = Column(Date, primary_key=True)
    calls = Column(BigInteger, nullable=False, default=0)


class AccessApplicationResource(tk.BaseModel):
    """One resource requested by an access application."""

    __tablename__ = "tjportal_access_application_resource"

    application_id = Column(UnicodeText, ForeignKey("tjportal_access_application.id"), primary_key=True)
    resource_id = Column(UnicodeText, primary_key=True)


class AccessApplication(tk.BaseModel):
    """A developer's application (数据申请) for access to resources of a
    conditionally open dataset or data service for a period."""

    __tablename__ = "tjportal_access_application"

    id = Column(UnicodeText, primary_key=True, default=make_uuid)
    user_id = Column(UnicodeText, nullable=False)
    package_id = Column(UnicodeText, nullable=False)
    owner_org = Column(UnicodeText, nullable=False)
    purpose = Column(UnicodeText, nullable=False)
    intended_use = Column(UnicodeText, nullable=False)
    start_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=False)
    state = Column(UnicodeText, nullable=False, default=STATE_PENDING)
    reject_reason = Column(UnicodeText)
    due_date = Column(Date, nullable=False)
    reviewer_id = Column(UnicodeText)
    reviewed = Column(DateTime)
    created = Column(DateTime, nullable=False, default=_utcnow)
    modified = Column(DateTime, nullable=False, default=_utcnow, onupdate=_utcnow)

    resources = relationship(AccessApplicationResource, cascade="all, delete-orphan", lazy="selectin")

    @classmethod
    def get(cls, reference: Optional[str]) -> Optional["AccessApplication"]:
        """Return the application with this id, or None."""
        if not reference:
            return None
        return model.Session.get(cls, reference)

    @property
    def resource_ids(self) -> list[str]:
        return sorted(item.resource_id for item in self.resources)


__all__ = ["Developer", "DeveloperUsage", "AccessApplication", "AccessApplicationResource"]

