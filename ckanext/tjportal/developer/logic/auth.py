"""Auth functions of the developer actions, plus the chained DataStore auth
functions that apply the developer token and quota checks."""
from __future__ import annotations

from typing import Any

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthFunction, AuthResult, Context, DataDict

from ckanext.tjportal.developer import metering
from ckanext.tjportal.developer.logic.lookup import context_user, find_developer, is_own
from ckanext.tjportal.developer.model import STATE_APPROVED, AccessApplication, Developer


def _own_registration(context: Context, data_dict: DataDict) -> AuthResult:
    # Sysadmins never reach auth functions, so this only has to allow the
    # developer themselves, including a user asking for their own
    # registration before they have one (the action then returns 404).
    user = context_user(context)
    if user is None:
        return {"success": False, "msg": tk._("Log in to see your developer registration.")}
    asks_for_self = not data_dict.get("id") and data_dict.get("user") in (None, "", user.name, user.id)
    if asks_for_self or is_own(context, find_developer(context, data_dict)):
        return {"success": True}
    return {"success": False, "msg": tk._("Only the developer and sysadmins may see this registration.")}


def _sysadmin_only(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": False, "msg": tk._("Only sysadmins may review developers.")}


def tjportal_developer_register(context: Context, data_dict: DataDict) -> AuthResult:
    if context_user(context) is None:
        return {"success": False, "msg": tk._("Log in to register as a developer.")}
    return {"success": True}


@tk.auth_allow_anonymous_access
def tjportal_developer_show(context: Context, data_dict: DataDict) -> AuthResult:
    return _own_registration(context, data_dict)


def tjportal_developer_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only(context, data_dict)


def tjportal_developer_approve(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only(context, data_dict)


def tjportal_developer_reject(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only(context, data_dict)


def tjportal_developer_revoke(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only(context, data_dict)


def tjportal_developer_token_issue(context: Context, data_dict: DataDict) -> AuthResult:
    return _own_registration(context, data_dict)


def tjportal_developer_token_revoke(context: Context, data_dict: DataDict) -> AuthResult:
    return _own_registration(context, data_dict)


def tjportal_developer_usage_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _own_registration(context, data_dict)


def tjportal_developer_usage_flush(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": False, "msg": tk._("Only sysadmins may flush usage counters.")}


# The DataStore actions validate their input and resolve aliases before they
# check access, so these chained auth functions see the real resource ids.
# They only act when the chained action put a Meter into the context.


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def datastore_search(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    result: Any = next_auth(context, data_dict)
    meter = context.get(metering.METER_CONTEXT_KEY)
    if result.get("success") and meter is not None:
        meter.admit(context, [data_dict["resource_id"]])
    return result


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def datastore_search_sql(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    # DataStore 2.12 passes the table names as a generator, which its own
    # auth function uses up, so keep them in a list for both.
    table_names = list(context.get("table_names") or [])
    context["table_names"] = table_names  # type: ignore[typeddict-unknown-key]
    result: Any = next_auth(context, data_dict)
    meter = context.get(metering.METER_CONTEXT_KEY)
    if result.get("success") and meter is not None:
        meter.admit(context, table_names)
    return result


# --- access applications (数据申请) -------------------------------------------


def _reviews_department(user_name: str, owner_org: str) -> bool:
    # Editors and admins may update the department's datasets, members may not.
    return authz.has_user_permission_for_group_or_org(owner_org, user_name, "update_dataset")


def tjportal_access_application_create(context: Context, data_dict: DataDict) -> AuthResult:
    user = context_user(context)
    if user is None:
        return {"success": False, "msg": tk._("Log in to apply for access.")}
    developer = Developer.by_user(user.id)
    if developer is None or developer.state != STATE_APPROVED:
        return {"success": False, "msg": tk._("Only approved developers may apply for access.")}
    return {"success": True}


def tjportal_access_application_show(context: Context, data_dict: DataDict) -> AuthResult:
    user = context_user(context)
    application = AccessApplication.get(data_dict.get("id"))
    if user is None:
        return {"success": False, "msg": tk._("Log in to see access applications.")}
    if application is None:
        # The action reports the missing application as 404.
        return {"success": True}
    if application.user_id == user.id or _reviews_department(user.name, application.owner_org):
        return {"success": True}
    return {"success": False, "msg": tk._("Only the applicant and the department may see this application.")}


def tjportal_access_application_list(context: Context, data_dict: DataDict) -> AuthResult:
    user = context_user(context)
    if user is None:
        return {"success": False, "msg": tk._("Log in to see access applications.")}
    scope = data_dict.get("scope") or "mine"
    if scope == "mine":
        return {"success": True}
    if scope == "department":
        organization = model.Group.get(data_dict.get("owner_org") or "")
        if organization is not None and _reviews_department(user.name, organization.id):
            return {"success": True}
        return {"success": False, "msg": tk._("Only the department's editors and admins may review its applications.")}
    return {"success": False, "msg": tk._("Only sysadmins may see all access applications.")}


def _review_application(context: Context, data_dict: DataDict) -> AuthResult:
    user = context_user(context)
    application = AccessApplication.get(data_dict.get("id"))
    if user is None:
        return {"success": False, "msg": tk._("Log in to review access applications.")}
    if application is None:
        return {"success": True}
    if _reviews_department(user.name, application.owner_org):
        return {"success": True}
    return {"success": False, "msg": tk._("Only the department's editors and admins may review its applications.")}


def tjportal_access_application_approve(context: Context, data_dict: DataDict) -> AuthResult:
    return _review_application(context, data_dict)


def tjportal_access_application_reject(context: Context, data_dict: DataDict) -> AuthResult:
    return _review_application(context, data_dict)
