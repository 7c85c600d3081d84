"""Pages of access applications (数据申请): the application form, the
department inbox and the sysadmins' overview."""
from __future__ import annotations

import logging
from typing import Any, Union

from flask import Blueprint, Response

import ckan.plugins.toolkit as tk
from ckan.types import Context

from ckanext.tjportal.developer import access

log = logging.getLogger(__name__)

tjportal_developer_access = Blueprint(
    "tjportal_developer_access", __name__, url_prefix="/developer/access"
)

DECISIONS = ("approve", "reject")
APPLY_FIELDS = ("purpose", "intended_use", "start_date", "end_date")


def _context() -> Context:
    return {"user": tk.current_user.name, "auth_user_obj": tk.current_user}  # type: ignore[typeddict-item]


def _error_summary(errors: dict[str, Any]) -> dict[str, str]:
    return {field: "; ".join(str(message) for message in messages) for field, messages in errors.items()}


@tjportal_developer_access.route("/apply/<id>", methods=["GET", "POST"])
def apply(id: str) -> Union[str, Response]:
    if not tk.current_user.is_authenticated:
        tk.h.flash_error(tk._("Log in to apply for access."))
        return tk.redirect_to("user.login", came_from=tk.request.full_path)
    try:
        package = tk.get_action("package_show")(_context(), {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Dataset not found"))
    if not access.is_conditional(package):
        return tk.abort(404, tk._("This dataset is open without conditions, so no application is needed."))
    try:
        tk.check_access("tjportal_access_application_create", _context(), {})
    except tk.NotAuthorized as error:
        return tk.render("tjportal/developer/access_apply.html", {
            "pkg": package, "data": {}, "errors": {}, "error_summary": {}, "refused": str(error),
        })

    data: dict[str, Any] = {"resource_ids": [resource["id"] for resource in package.get("resources") or []]}
    errors: dict[str, Any] = {}
    if tk.request.method == "POST":
        data = {field: tk.request.form.get(field, "") for field in APPLY_FIELDS}
        data["resource_ids"] = tk.request.form.getlist("resource_ids")
        try:
            tk.get_action("tjportal_access_application_create")(
                _context(), dict(data, package_id=package["id"]))
        except tk.ValidationError as error:
            errors = error.error_dict  # type: ignore[assignment]
        else:
            tk.h.flash_success(tk._("Application submitted. The department will review it."))
            return tk.redirect_to("tjportal_developer.mine")
    return tk.render("tjportal/developer/access_apply.html", {
        "pkg": package,
        "data": data,
        "errors": errors,
        "error_summary": _error_summary(errors),
        "refused": None,
        "max_days": tk.config.get("ckanext.tjportal.access.max_days"),
    })


@tjportal_developer_access.route("/department/<org>")
def inbox(org: str) -> str:
    try:
        organization = tk.get_action("organization_show")(_context(), {"id": org, "include_datasets": False})
        result = tk.get_action("tjportal_access_application_list")(
            _context(), {"scope": "department", "owner_org": organization["id"]})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Organization not found"))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    return tk.render("tjportal/developer/access_inbox.html", {
        "organization": organization,
        "applications": result["results"],
        "count": result["count"],
        "overview": False,
    })


@tjportal_developer_access.route("/overview")
def overview() -> str:
    overdue = tk.asbool(tk.request.args.get("overdue"))
    try:
        result = tk.get_action("tjportal_access_application_list")(
            _context(), {"scope": "all", "overdue": overdue})
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    return tk.render("tjportal/developer/access_inbox.html", {
        "organization": None,
        "applications": result["results"],
        "count": result["count"],
        "overview": True,
    })


@tjportal_developer_access.route("/<id>/<decision>", methods=["POST"])
def review(id: str, decision: str) -> Response:
    if decision not in DECISIONS:
        return tk.abort(404, tk._("Page not found"))
    data_dict = {"id": id}
    if decision == "reject":
        data_dict["reason"] = tk.request.form.get("reason", "")
    try:
        result = tk.get_action("tjportal_access_application_{}".format(decision))(_context(), data_dict)
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Access application not found."))
    except tk.ValidationError as error:
        tk.h.flash_error(" ".join(_error_summary(error.error_dict).values()))
        result = tk.get_action("tjportal_access_application_show")(_context(), {"id": id})
    else:
        tk.h.flash_success(tk._("Access application updated."))
    return tk.redirect_to("tjportal_developer_access.inbox", org=result["owner_org"])
