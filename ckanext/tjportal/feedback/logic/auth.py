"""Auth functions of the feedback actions. Sysadmins never reach them."""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.tjportal.feedback.logic.lookup import (
    can_read_package, context_user, get_package, is_department_admin,
)
from ckanext.tjportal.feedback.model import Rating

__all__ = [
    "tjportal_rating_create",
    "tjportal_rating_delete",
    "tjportal_rating_hide",
    "tjportal_rating_show",
    "tjportal_rating_list",
    "tjportal_rating_summary_show",
]


def _readable(context: Context, package_id: str) -> AuthResult:
    package = get_package(package_id)
    if can_read_package(context, package.id):
        return {"success": True}
    return {"success": False, "msg": tk._("You are not allowed to read this dataset.")}


def _logged_in(context: Context, message: str) -> AuthResult:
    if context_user(context) is None:
        return {"success": False, "msg": message}
    return {"success": True}


def tjportal_rating_create(context: Context, data_dict: DataDict) -> AuthResult:
    result = _logged_in(context, tk._("Log in to rate datasets."))
    if not result["success"] or not data_dict.get("package_id"):
        return result
    return _readable(context, data_dict["package_id"])


def tjportal_rating_delete(context: Context, data_dict: DataDict) -> AuthResult:
    user = context_user(context)
    if user is None:
        return {"success": False, "msg": tk._("Log in to delete your rating.")}
    rating = Rating.get(data_dict.get("id"))
    if rating is None or rating.user_id == user.id:
        # A missing rating is the action's 404.
        return {"success": True}
    return {"success": False, "msg": tk._("You may delete only your own rating.")}


def tjportal_rating_hide(context: Context, data_dict: DataDict) -> AuthResult:
    rating = Rating.get(data_dict.get("id"))
    package = model.Package.get(rating.package_id) if rating else None
    if rating is None or is_department_admin(context_user(context), package):
        return {"success": True}
    return {"success": False, "msg": tk._(
        "Only sysadmins and the admins of the dataset's department may hide comments."
    )}


@tk.auth_allow_anonymous_access
def tjportal_rating_show(context: Context, data_dict: DataDict) -> AuthResult:
    if data_dict.get("id") or not data_dict.get("package_id"):
        # The action checks again with the rating's dataset.
        return {"success": True}
    return _readable(context, data_dict["package_id"])


@tk.auth_allow_anonymous_access
def tjportal_rating_list(context: Context, data_dict: DataDict) -> AuthResult:
    if data_dict.get("package_id"):
        return _readable(context, data_dict["package_id"])
    user = context_user(context)
    if user is None:
        return {"success": False, "msg": tk._("Log in to see your ratings.")}
    if data_dict.get("user") in (None, "", user.name, user.id):
        return {"success": True}
    return {"success": False, "msg": tk._("You may list only your own ratings.")}


@tk.auth_allow_anonymous_access
def tjportal_rating_summary_show(context: Context, data_dict: DataDict) -> AuthResult:
    if not data_dict.get("package_id"):
        return {"success": True}
    return _readable(context, data_dict["package_id"])
