"""Pages of developer registration (注册开发者), the user's own registration
(我的申请) and the sysadmins' review, plus the rate-limit response headers."""
from __future__ import annotations

import json
import logging
from typing import Any, Optional, Union

from flask import Blueprint, Response

import ckan.plugins.toolkit as tk
from ckan.types import Context

from ckanext.tjportal.developer import access, metering
# The blueprints blanket registers every Blueprint found in this module,
# including these imported ones of access applications and the API page.
from ckanext.tjportal.developer.access_views import tjportal_developer_access  # noqa: F401
from ckanext.tjportal.developer.api_page import tjportal_developer_api  # noqa: F401

log = logging.getLogger(__name__)

tjportal_developer = Blueprint("tjportal_developer", __name__, url_prefix="/developer")

REVIEW_DECISIONS = ("approve", "reject", "revoke")
REGISTER_FIELDS = ("name", "kind", "organization_name", "credit_code", "email", "mobile", "purpose")


def _context() -> Context:
    return {"user": tk.current_user.name, "auth_user_obj": tk.current_user}  # type: ignore[typeddict-item]


def _login_first() -> Optional[Response]:
    if tk.current_user.is_authenticated:
        return None
    tk.h.flash_error(tk._("Log in to register as a developer."))
    return tk.redirect_to("user.login", came_from=tk.request.full_path)


def _own_registration() -> Optional[dict[str, Any]]:
    try:
        return tk.get_action("tjportal_developer_show")(_context(), {})
    except tk.ObjectNotFound:
        return None


@tjportal_developer.route("/register", methods=["GET", "POST"])
def register() -> Union[str, Response]:
    redirect = _login_first()
    if redirect is not None:
        return redirect
    developer = _own_registration()
    if developer is not None and developer["state"] != "rejected":
        return tk.redirect_to("tjportal_developer.mine")

    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if tk.request.method == "POST":
        data = {field: tk.request.form.get(field, "") for field in REGISTER_FIELDS}
        try:
            result = tk.get_action("tjportal_developer_register")(_context(), dict(data))
        except tk.ValidationError as error:
            errors = error.error_dict  # type: ignore[assignment]
        else:
            if result.get("token"):
                # The token is rendered, not redirected with, because CKAN
                # keeps no copy of it after this response.
                return _render_mine(result, token=result["token"])
            tk.h.flash_success(tk._("Registration submitted. A sysadmin will review it."))
            return tk.redirect_to("tjportal_developer.mine")

    page = tk.render("tjportal/developer/register.html", {
        "data": data,
        "errors": errors,
        "error_summary": _error_summary(errors),
        "previous": developer,
        "purpose_max_length": tk.config.get("ckanext.tjportal.developer.purpose_max_length"),
    })
    # A form returned with its errors is the 400 of the submission.
    return Response(page, status=400) if errors else page


def _error_summary(errors: dict[str, Any]) -> dict[str, str]:
    return {field: "; ".join(str(message) for message in messages) for field, messages in errors.items()}


def _render_mine(developer: dict[str, Any], token: Optional[str] = None) -> str:
    usage = None
    if developer["state"] == "approved" or developer.get("has_token"):
        usage = tk.get_action("tjportal_developer_usage_list")(_context(), {"id": developer["id"]})
    applications = tk.get_action("tjportal_access_application_list")(_context(), {"scope": "mine"})
    return tk.render("tjportal/developer/mine.html", {
        "developer": developer,
        "applications": applications["results"],
        "token": token,
        "usage": usage,
        "token_header": tk.config["apitoken_header_name"],
    })


@tjportal_developer.route("/")
def mine() -> Union[str, Response]:
    redirect = _login_first()
    if redirect is not None:
        return redirect
    developer = _own_registration()
    if developer is None:
        return tk.redirect_to("tjportal_developer.register")
    return _render_mine(developer)


@tjportal_developer.route("/token", methods=["POST"])
def token_issue() -> Union[str, Response]:
    redirect = _login_first()
    if redirect is not None:
        return redirect
    try:
        result = tk.get_action("tjportal_developer_token_issue")(_context(), {})
    except tk.ObjectNotFound:
        return tk.redirect_to("tjportal_developer.register")
    except tk.ValidationError as error:
        tk.h.flash_error(_error_summary(error.error_dict).get("state", str(error)))
        return tk.redirect_to("tjportal_developer.mine")
    return _render_mine(result, token=result["token"])


@tjportal_developer.route("/token/revoke", methods=["POST"])
def token_revoke() -> Response:
    redirect = _login_first()
    if redirect is not None:
        return redirect
    try:
        tk.get_action("tjportal_developer_token_revoke")(_context(), {})
    except tk.ObjectNotFound:
        return tk.redirect_to("tjportal_developer.register")
    tk.h.flash_success(tk._("Your developer token has been revoked."))
    return tk.redirect_to("tjportal_developer.mine")


@tjportal_developer.route("/admin")
def admin() -> str:
    state = tk.request.args.get("state") or None
    data_dict = {"state": state} if state else {}
    try:
        result = tk.get_action("tjportal_developer_list")(_context(), data_dict)
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only sysadmins may review developers."))
    except tk.ValidationError:
        return tk.abort(400, tk._("Unknown registration state: {state}").format(state=state))
    return tk.render("tjportal/developer/admin.html", {
        "developers": result["results"],
        "count": result["count"],
        "state": state,
    })


@tjportal_developer.route("/admin/<id>/<decision>", methods=["POST"])
def review(id: str, decision: str) -> Response:
    if decision not in REVIEW_DECISIONS:
        return tk.abort(404, tk._("Page not found"))
    data_dict = {"id": id}
    if decision == "reject":
        data_dict["reason"] = tk.request.form.get("reason", "")
    try:
        tk.get_action("tjportal_developer_{}".format(decision))(_context(), data_dict)
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only sysadmins may review developers."))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Developer registration not found."))
    except tk.ValidationError as error:
        tk.h.flash_error(" ".join(_error_summary(error.error_dict).values()))
    else:
        tk.h.flash_success(tk._("Developer registration updated."))
    return tk.redirect_to("tjportal_developer.admin", state=tk.request.args.get("state") or None)


@tjportal_developer.before_app_request
def _check_download() -> None:
    """Apply the access rules to downloads.

    DataStore dumps of data services need the developer token and count
    against the daily quota, as their API does, and a conditionally open
    data service also needs an approved application. Dumps and file
    downloads of conditionally open datasets need an approved application of
    the logged-in user (or the user of the request's API token).
    """
    endpoint = tk.request.endpoint or ""
    view_args = tk.request.view_args or {}
    if endpoint == "datastore.dump":
        resource_id = view_args.get("resource_id", "")
        found = metering.active_resource(resource_id)
        if found is not None and found[1].type == metering.DATASERVICE_TYPE:
            _meter_dump(resource_id)
            return
    elif endpoint.endswith("resource.download"):
        resource_id = view_args.get("resource_id", "")
        found = metering.active_resource(resource_id)
    else:
        return
    if found is not None and not access.can_download(tk.current_user, found[0]):
        log.debug("Refused a download of conditionally open resource %s", resource_id)
        return tk.abort(403, access.denied_message(found[1]))


def _meter_dump(resource_id: str) -> None:
    meter = metering.Meter.for_dump()
    try:
        meter.admit(_context(), [resource_id])
    except tk.NotAuthorized as error:
        # A QuotaExceeded becomes a 429 in _add_rate_limit_headers.
        return tk.abort(403, str(error))
    meter.succeeded()


@tjportal_developer.after_app_request
def _add_rate_limit_headers(response: Response) -> Response:
    """Add the X-RateLimit-* headers to metered Action API responses and turn
    the 403 of a QuotaExceeded into a 429 with Retry-After.

    CKAN's Action API view catches every exception an action raises and
    maps only its own exception classes to status codes, so an action cannot
    choose 429 itself. The metering code records the call's RateLimit on
    flask.g instead, and this hook, which runs after every request, applies
    it to the response.
    """
    rate_limit = metering.request_rate_limit()
    if rate_limit is None:
        return response
    response.headers["X-RateLimit-Limit"] = str(rate_limit.limit)
    response.headers["X-RateLimit-Remaining"] = str(rate_limit.remaining)
    # Unix time of the next quota reset, as GitHub's API sends it.
    response.headers["X-RateLimit-Reset"] = str(rate_limit.reset)
    if rate_limit.retry_after is not None and response.status_code == 403:
        response.status_code = 429
        response.headers["Retry-After"] = str(rate_limit.retry_after)
        if response.is_json:
            body = response.get_json(silent=True) or {}
            body["error"] = {"__type": "Rate Limit Error", "message": rate_limit.message}
            response.set_data(json.dumps(body))
    return response
