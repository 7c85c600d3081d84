"""Auth functions of the suggestion actions. Sysadmins never reach them."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.tjportal.feedback.logic.lookup import context_user, is_department_staff
from ckanext.tjportal.feedback.model import Suggestion

__all__ = [
    "tjportal_suggestion_create",
    "tjportal_suggestion_accept",
    "tjportal_suggestion_reject",
    "tjportal_suggestion_fulfil",
    "tjportal_suggestion_support",
    "tjportal_suggestion_show",
    "tjportal_suggestion_list",
]


def tjportal_suggestion_create(context: Context, data_dict: DataDict) -> AuthResult:
    if context_user(context) is None:
        return {"success": False, "msg": tk._("Log in to suggest data to open.")}
    return {"success": True}


def _department_staff(context: Context, data_dict: DataDict) -> AuthResult:
    # Sysadmins handle the suggestions that name no department.
    suggestion = Suggestion.get(data_dict.get("id"))
    if suggestion is None or is_department_staff(context_user(context), suggestion.organization_id):
        return {"success": True}
    return {"success": False, "msg": tk._(
        "Only the editors and admins of the suggested department, or sysadmins, may answer this suggestion."
    )}


def tjportal_suggestion_accept(context: Context, data_dict: DataDict) -> AuthResult:
    return _department_staff(context, data_dict)


def tjportal_suggestion_reject(context: Context, data_dict: DataDict) -> AuthResult:
    return _department_staff(context, data_dict)


def tjportal_suggestion_fulfil(context: Context, data_dict: DataDict) -> AuthResult:
    return _department_staff(context, data_dict)


def tjportal_suggestion_support(context: Context, data_dict: DataDict) -> AuthResult:
    if context_user(context) is None:
        return {"success": False, "msg": tk._("Log in to support suggestions.")}
    return {"success": True}


@tk.auth_allow_anonymous_access
def tjportal_suggestion_show(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@tk.auth_allow_anonymous_access
def tjportal_suggestion_list(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}
