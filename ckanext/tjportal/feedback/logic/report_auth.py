"""Auth functions of the error report actions. Sysadmins never reach them."""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.tjportal.feedback.logic.lookup import (
    can_read_package, context_user, get_package, is_department_staff,
)
from ckanext.tjportal.feedback.model import Report

__all__ = [
    "tjportal_report_create",
    "tjportal_report_accept",
    "tjportal_report_reject",
    "tjportal_report_resolve",
    "tjportal_report_show",
    "tjportal_report_list",
]


def tjportal_report_create(context: Context, data_dict: DataDict) -> AuthResult:
    if context_user(context) is None:
        return {"success": False, "msg": tk._("Log in to report an error.")}
    if not data_dict.get("package_id"):
        return {"success": True}
    package = get_package(data_dict["package_id"])
    if can_read_package(context, package.id):
        return {"success": True}
    return {"success": False, "msg": tk._("You are not allowed to read this dataset.")}


def _department_staff(context: Context, data_dict: DataDict) -> AuthResult:
    report = Report.get(data_dict.get("id"))
    if report is None or is_department_staff(context_user(context), report.owner_org):
        # A missing report is the action's 404.
        return {"success": True}
    return {"success": False, "msg": tk._(
        "Only the editors and admins of the dataset's department may handle this error report."
    )}


def tjportal_report_accept(context: Context, data_dict: DataDict) -> AuthResult:
    return _department_staff(context, data_dict)


def tjportal_report_reject(context: Context, data_dict: DataDict) -> AuthResult:
    return _department_staff(context, data_dict)


def tjportal_report_resolve(context: Context, data_dict: DataDict) -> AuthResult:
    return _department_staff(context, data_dict)


def tjportal_report_show(context: Context, data_dict: DataDict) -> AuthResult:
    user = context_user(context)
    if user is None:
        return {"success": False, "msg": tk._("Log in to see your error reports.")}
    report = Report.get(data_dict.get("id"))
    if report is None or report.user_id == user.id or is_department_staff(user, report.owner_org):
        return {"success": True}
    return {"success": False, "msg": tk._("Only the reporter and the department may see this error report.")}


def tjportal_report_list(context: Context, data_dict: DataDict) -> AuthResult:
    user = context_user(context)
    if user is None:
        return {"success": False, "msg": tk._("Log in to see your error reports.")}
    if tk.asbool(data_dict.get("all", False)):
        return {"success": False, "msg": tk._("Only sysadmins may see every error report.")}
    organization_reference = data_dict.get("organization")
    if not organization_reference:
        return {"success": True}
    organization = model.Group.get(organization_reference)
    if organization is None or is_department_staff(user, organization.id):
        return {"success": True}
    return {"success": False, "msg": tk._("Only the department's editors and admins may see its error reports.")}
