"""Conditional open data (有条件开放).

Datasets and data services whose ``open_condition`` is ``conditional`` show
their metadata, data dictionary and preview to everyone. Their API calls and
downloads need an approved access application (数据申请) whose period
includes the current day in the quota time zone. Sysadmins and the editors
and admins of the owning organization (部门) need none.

The metering code calls ``has_access`` for API calls and DataStore dumps of
data services, and the developer plugin's request hook calls
``can_download`` for resource downloads and dumps of datasets. Other plugins,
such as ``tjportal_downloads``, may call ``can_download`` too.
"""
from __future__ import annotations

import datetime
import logging
from typing import Any, Optional, Union
from zoneinfo import ZoneInfo

from sqlalchemy import exists

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjportal.developer import model as developer_model
from ckanext.tjportal.developer.model import AccessApplication, AccessApplicationResource

log = logging.getLogger(__name__)

CONDITIONAL = "conditional"
OPEN_CONDITION_FIELD = "open_condition"

# Roles of an organization that publish its data and so need no application.
DEPARTMENT_ROLES = ("admin", "editor")

def today() -> datetime.date:
    """Return the current day in the quota time zone."""
    zone = tk.config.get("ckanext.tjportal.developer.timezone")
    return datetime.datetime.now(datetime.timezone.utc).astimezone(ZoneInfo(zone)).date()


def is_conditional(package: Union[model.Package, dict[str, Any], None]) -> bool:
    """Tell whether a dataset (model object or dict) is conditionally open."""
    if package is None:
        return False
    if isinstance(package, dict):
        return package.get(OPEN_CONDITION_FIELD) == CONDITIONAL
    return package.extras.get(OPEN_CONDITION_FIELD) == CONDITIONAL


def _user_object(user: Any) -> Optional[model.User]:
    if isinstance(user, model.User):
        return user
    if isinstance(user, str) and user:
        return model.User.get(user)
    # flask_login's AnonymousUser and None
    name = getattr(user, "name", None)
    if getattr(user, "is_authenticated", False) and name:
        return model.User.get(name)
    return None


def is_exempt(user: Optional[model.User], package: model.Package) -> bool:
    """Tell whether the user needs no application for this dataset:
    sysadmins, and editors and admins of the owning organization."""
    if user is None:
        return False
    if user.sysadmin:
        return True
    if not package.owner_org:
        return False
    return authz.users_role_for_group_or_org(package.owner_org, user.name) in DEPARTMENT_ROLES


def has_access(user_id: str, resource_id: str, day: Optional[datetime.date] = None) -> bool:
    """Tell whether the user has an approved application for this resource
    whose period includes ``day`` (default: today)."""
    day = day or today()
    query = model.Session.query(
        exists().where(
            AccessApplication.id == AccessApplicationResource.application_id,
            AccessApplicationResource.resource_id == resource_id,
            AccessApplication.user_id == user_id,
            AccessApplication.state == developer_model.STATE_APPROVED,
            AccessApplication.start_date <= day,
            AccessApplication.end_date >= day,
        )
    )
    return bool(query.scalar())


def can_download(user: Any, resource: Union[model.Resource, dict[str, Any], str]) -> bool:
    """Tell whether the user may download the resource as far as conditional
    open data is concerned.

    ``user`` is a model.User, a user name, the current user or None;
    ``resource`` is a model.Resource, a resource dict or an id. Returns True
    for resources of datasets that are not conditionally open. It does not
    check read permission on the dataset or the developer token rule of data
    services, which their own checks cover.
    """
    if isinstance(resource, dict):
        resource = resource.get("id", "")
    if isinstance(resource, str):
        resource = model.Resource.get(resource)
    if resource is None or resource.package is None:
        return True
    package = resource.package
    if not is_conditional(package):
        return True
    user_object = _user_object(user)
    if is_exempt(user_object, package):
        return True
    return user_object is not None and has_access(user_object.id, resource.id)


def apply_url(package_name: str) -> str:
    return tk.url_for("tjportal_developer_access.apply", id=package_name, _external=True)


def denied_message(package: model.Package) -> str:
    """Return the message of a refused call or download of a conditionally
    open dataset."""
    return tk._(
        "This data is open on conditions. Apply for access at {url}; once the "
        "department approves your application, your developer token and account "
        "can use it during the approved period."
    ).format(url=apply_url(package.name))
