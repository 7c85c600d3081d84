"""Look-ups shared by the feedback actions, auth functions and helpers."""
from __future__ import annotations

from typing import Optional

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context

from ckanext.tjportal.developer.logic.lookup import context_user

__all__ = ["context_user", "get_package", "can_read_package", "is_department_admin", "is_department_staff"]


def get_package(reference: Optional[str]) -> model.Package:
    """Return the dataset or data service with this id or name, or raise
    ObjectNotFound."""
    package = model.Package.get(reference) if reference else None
    if package is None:
        raise tk.ObjectNotFound(tk._("Dataset not found: {id}").format(id=reference or ""))
    return package


def can_read_package(context: Context, package_id: str) -> bool:
    """Tell whether the caller may read the dataset, by core's package_show
    auth, so private datasets stay hidden from everyone else."""
    auth_context: Context = {  # type: ignore[typeddict-item]
        "user": context.get("user"),
        "auth_user_obj": context.get("auth_user_obj"),
        "model": model,
    }
    try:
        tk.check_access("package_show", auth_context, {"id": package_id})
    except tk.NotAuthorized:
        return False
    return True


def is_department_admin(user: Optional[model.User], package: Optional[model.Package]) -> bool:
    """Tell whether the user is a sysadmin or an admin of the department
    (organization) that owns the dataset."""
    if user is None:
        return False
    if user.sysadmin:
        return True
    if package is None or not package.owner_org:
        return False
    return authz.users_role_for_group_or_org(package.owner_org, user.name) == "admin"


def is_department_staff(user: Optional[model.User], organization_id: Optional[str]) -> bool:
    """Tell whether the user is a sysadmin or an editor or admin of the
    department (organization)."""
    if user is None:
        return False
    if user.sysadmin:
        return True
    if not organization_id:
        return False
    return authz.users_role_for_group_or_org(organization_id, user.name) in ("admin", "editor")
