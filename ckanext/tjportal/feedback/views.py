"""Pages of ratings (我要评价): the rating form's targets on a dataset's page,
and the 429 response of the submission limit."""
from __future__ import annotations

import json
import logging
from typing import Any, Union

from flask import Blueprint, Response

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.types import Context

from ckanext.tjportal.feedback import ratelimit, share
from ckanext.tjportal.feedback.helpers import tjportal_feedback_error_items
from ckanext.tjportal.feedback.model import SCORE_FIELDS

log = logging.getLogger(__name__)

tjportal_feedback = Blueprint("tjportal_feedback", __name__, url_prefix="/feedback")


def _context() -> Context:
    return {"user": tk.current_user.name, "auth_user_obj": tk.current_user}  # type: ignore[typeddict-item]


def _login_first(message: str) -> Union[Response, None]:
    if tk.current_user.is_authenticated:
        return None
    tk.h.flash_error(message)
    return tk.redirect_to("user.login", came_from=tk.request.full_path)


def _errors_text(error: tk.ValidationError) -> str:
    return " ".join("{}: {}".format(label, text) for label, text in tjportal_feedback_error_items(error.error_dict))


def _call(action: str, data_dict: dict[str, Any]) -> Any:
    """Call an action for a page, turning its errors into error pages."""
    try:
        return tk.get_action(action)(_context(), data_dict)
    except ratelimit.RateLimited as error:
        return tk.abort(429, error.message)
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error) or tk._("Not authorized to see this page"))
    except tk.ObjectNotFound as error:
        return tk.abort(404, str(error) or tk._("Not found"))
    except tk.ValidationError as error:
        return tk.abort(400, _errors_text(error))


def _dataset_url(package_id: str) -> str:
    summary = tk.get_action("package_show")(_context(), {"id": package_id})
    return tk.url_for("{}.read".format(summary["type"]), id=summary["name"])


@tjportal_feedback.route("/rating/<package_id>", methods=["POST"])
def rating_save(package_id: str) -> Response:
    redirect = _login_first(tk._("Log in to rate datasets."))
    if redirect is not None:
        return redirect
    data = {field: tk.request.form.get(field, "") for field in SCORE_FIELDS}
    data["comment"] = tk.request.form.get("comment", "")
    data["package_id"] = package_id
    rating = _call("tjportal_rating_create", data)
    tk.h.flash_success(tk._("Thank you, your rating has been saved."))
    return tk.redirect_to(_dataset_url(rating["package_id"]) + "#ratings")


@tjportal_feedback.route("/rating/<package_id>/delete", methods=["POST"])
def rating_delete(package_id: str) -> Response:
    redirect = _login_first(tk._("Log in to delete your rating."))
    if redirect is not None:
        return redirect
    _call("tjportal_rating_delete", {"package_id": package_id})
    tk.h.flash_success(tk._("Your rating has been deleted."))
    return tk.redirect_to(_dataset_url(package_id) + "#ratings")


@tjportal_feedback.route("/rating/hide/<id>", methods=["POST"])
def rating_hide(id: str) -> Response:
    redirect = _login_first(tk._("Log in to moderate comments."))
    if redirect is not None:
        return redirect
    hidden = tk.request.form.get("hidden", "true")
    rating = _call("tjportal_rating_hide", {"id": id, "hidden": hidden})
    if rating["comment_hidden"]:
        tk.h.flash_success(tk._("The comment is hidden."))
    else:
        tk.h.flash_success(tk._("The comment is shown again."))
    return tk.redirect_to(_dataset_url(rating["package_id"]) + "#ratings")


@tjportal_feedback.route("/ratings")
def rating_mine() -> Union[str, Response]:
    redirect = _login_first(tk._("Log in to see your ratings."))
    if redirect is not None:
        return redirect
    result = _call("tjportal_rating_list", {"limit": 100})
    return tk.render("tjportal/feedback/rating_mine.html", {"ratings": result["results"], "count": result["count"]})


@tjportal_feedback.after_app_request
def _rate_limit_response(response: Response) -> Response:
    """Turn the 403 of a RateLimited error raised in an API call into a 429
    with Retry-After. CKAN's Action API view chooses the status code itself,
    so an action cannot return 429 directly."""
    error = ratelimit.request_rate_limit_error()
    if error is None:
        return response
    response.headers["Retry-After"] = str(error.retry_after)
    if response.status_code == 403:
        response.status_code = 429
        if response.is_json:
            body = response.get_json(silent=True) or {}
            body["error"] = {"__type": "Rate Limit Error", "message": error.message}
            response.set_data(json.dumps(body))
    return response


# --- sharing (分享) ------------------------------------------------------------------

# Browsers keep a QR code for an hour. The QR code changes only when the
# dataset is renamed.
QRCODE_MAX_AGE = 3600


@tjportal_feedback.route("/share/<package_id>/qrcode.svg")
def share_qrcode(package_id: str) -> Response:
    """Serve the WeChat QR code of a dataset's page, to those who may read
    the dataset. Like CKAN's dataset page, a dataset that the user may not
    read returns 404, so its existence is not revealed."""
    try:
        package = tk.get_action("package_show")(_context(), {"id": package_id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Dataset not found"))
    response = Response(share.qrcode_svg(share.page_url(package)), mimetype="image/svg+xml")
    # CKAN's after-request handler marks a response public with its own
    # max-age unless __no_cache__ is set, and it sets "private" when it is.
    # The code differs per user (404 or image), so shared caches skip it.
    tk.request.environ["__no_cache__"] = True
    response.cache_control.max_age = QRCODE_MAX_AGE
    return response


# --- error reports (纠错) --------------------------------------------------------

REPORT_STEPS = ("accept", "reject", "resolve")


@tjportal_feedback.route("/report/new/<package_id>", methods=["GET", "POST"])
def report_new(package_id: str) -> Union[str, Response]:
    redirect = _login_first(tk._("Log in to report an error."))
    if redirect is not None:
        return redirect
    package = _call("package_show", {"id": package_id})
    data = {
        "kind": tk.request.form.get("kind", ""),
        "description": tk.request.form.get("description", ""),
        "contact": tk.request.form.get("contact", ""),
        "resource_id": tk.request.values.get("resource_id", ""),
    }
    resource = next((item for item in package.get("resources", []) if item["id"] == data["resource_id"]), None)
    errors: dict[str, Any] = {}
    if tk.request.method == "POST" and data["resource_id"] and resource is None:
        # Keep the user's text on the form instead of returning 404.
        errors = {"resource_id": [tk._("Resource not found: {id}").format(id=data["resource_id"])]}
    elif tk.request.method == "POST":
        try:
            tk.get_action("tjportal_report_create")(_context(), {**data, "package_id": package["id"]})
        except tk.ValidationError as error:
            errors = error.error_dict or {}
        except ratelimit.RateLimited as error:
            return tk.abort(429, error.message)
        except tk.NotAuthorized as error:
            return tk.abort(403, str(error))
        except tk.ObjectNotFound as error:
            return tk.abort(404, str(error))
        else:
            tk.h.flash_success(tk._("Thank you, your error report has been sent to the department."))
            return tk.redirect_to("tjportal_feedback.report_mine")
    response = tk.render("tjportal/feedback/report_new.html", {
        "pkg": package, "resource": resource, "data": data, "errors": errors,
    })
    return Response(response, status=400) if errors else response


@tjportal_feedback.route("/reports")
def report_mine() -> Union[str, Response]:
    redirect = _login_first(tk._("Log in to see your error reports."))
    if redirect is not None:
        return redirect
    result = _call("tjportal_report_list", {"limit": 200})
    return tk.render("tjportal/feedback/report_list.html", {
        "reports": result["results"], "count": result["count"], "mode": "mine",
    })


@tjportal_feedback.route("/reports/department/<organization>")
def report_inbox(organization: str) -> Union[str, Response]:
    redirect = _login_first(tk._("Log in to see your department's error reports."))
    if redirect is not None:
        return redirect
    return _render_inbox(organization)


def _render_inbox(organization: str, step_error: Union[dict[str, Any], None] = None) -> str:
    department = _call("organization_show", {"id": organization})
    result = _call("tjportal_report_list", {"organization": department["id"], "limit": 200})
    return tk.render("tjportal/feedback/report_list.html", {
        "reports": result["results"], "count": result["count"], "mode": "inbox", "department": department,
        "step_error": step_error,
    })


@tjportal_feedback.route("/reports/overview")
def report_overview() -> Union[str, Response]:
    redirect = _login_first(tk._("Log in to see the error reports."))
    if redirect is not None:
        return redirect
    overdue = tk.asbool(tk.request.args.get("overdue", False))
    result = _call("tjportal_report_list", {"all": True, "overdue": overdue, "limit": 500})
    return tk.render("tjportal/feedback/report_list.html", {
        "reports": result["results"], "count": result["count"], "mode": "overview", "overdue_only": overdue,
    })


@tjportal_feedback.route("/report/<id>/<step>", methods=["POST"])
def report_step(id: str, step: str) -> Response:
    if step not in REPORT_STEPS:
        return tk.abort(404, tk._("Page not found"))
    redirect = _login_first(tk._("Log in to handle error reports."))
    if redirect is not None:
        return redirect
    data_dict = {"id": id, "reason": tk.request.form.get("reason", ""), "reply": tk.request.form.get("reply", "")}
    if step != "reject":
        data_dict.pop("reason")
    try:
        report = tk.get_action("tjportal_report_" + step)(_context(), data_dict)
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    except tk.ObjectNotFound as error:
        return tk.abort(404, str(error))
    except tk.ValidationError as error:
        # Back to the inbox, with the message at the report and the text the
        # user typed still in its field.
        status = 409 if "state" in (error.error_dict or {}) else 400
        shown = _call("tjportal_report_show", {"id": id})
        step_error = {"id": id, "message": _errors_text(error), "data": data_dict}
        return Response(_render_inbox(shown["owner_org"], step_error), status=status)
    tk.h.flash_success(tk._("The error report is now {state}.").format(state=report["state_label"]))
    department = _call("organization_show", {"id": report["owner_org"]})
    return tk.redirect_to("tjportal_feedback.report_inbox", organization=department["name"])


# --- user centre (用户中心) --------------------------------------------------------

CENTRE_ITEMS = 5


@tjportal_feedback.route("/centre")
def centre() -> Union[str, Response]:
    redirect = _login_first(tk._("Log in to see your user centre."))
    if redirect is not None:
        return redirect
    followed = _call("dataset_followee_list", {"id": tk.current_user.name})
    return tk.render("tjportal/feedback/centre.html", {
        "followed": followed,
        "developer_enabled": p.plugin_loaded("tjportal_developer"),
        "reports": _call("tjportal_report_list", {"limit": CENTRE_ITEMS}),
        "ratings": _call("tjportal_rating_list", {"limit": CENTRE_ITEMS}),
        "suggestions": _call("tjportal_suggestion_list", {"user": tk.current_user.name, "limit": CENTRE_ITEMS}),
    })


# --- open-data suggestions (开放建议) --------------------------------------------

SUGGESTION_STEPS = ("accept", "reject", "fulfil")
SUGGESTION_FIELDS = ("title", "wanted_type", "reason", "organization", "group")


@tjportal_feedback.route("/suggestions")
def suggestion_list() -> str:
    state = tk.request.args.get("state") or None
    result = _call("tjportal_suggestion_list", {"state": state} if state else {})
    return tk.render("tjportal/feedback/suggestion_list.html", {
        "suggestions": result["results"], "count": result["count"], "mine": False, "state": state,
    })


@tjportal_feedback.route("/suggestions/mine")
def suggestion_mine() -> Union[str, Response]:
    redirect = _login_first(tk._("Log in to see your suggestions."))
    if redirect is not None:
        return redirect
    result = _call("tjportal_suggestion_list", {"user": tk.current_user.name, "limit": 200})
    return tk.render("tjportal/feedback/suggestion_list.html", {
        "suggestions": result["results"], "count": result["count"], "mine": True, "state": None,
    })


@tjportal_feedback.route("/suggestions/new", methods=["GET", "POST"])
def suggestion_new() -> Union[str, Response]:
    redirect = _login_first(tk._("Log in to suggest data to open."))
    if redirect is not None:
        return redirect
    data = {field: tk.request.form.get(field, "") for field in SUGGESTION_FIELDS}
    errors: dict[str, Any] = {}
    if tk.request.method == "POST":
        try:
            suggestion = tk.get_action("tjportal_suggestion_create")(_context(), dict(data))
        except tk.ValidationError as error:
            errors = error.error_dict or {}
        except ratelimit.RateLimited as error:
            return tk.abort(429, error.message)
        except tk.NotAuthorized as error:
            return tk.abort(403, str(error))
        else:
            tk.h.flash_success(tk._("Thank you, your suggestion has been published."))
            return tk.redirect_to("tjportal_feedback.suggestion_read", id=suggestion["id"])
    response = tk.render("tjportal/feedback/suggestion_new.html", {
        "data": data,
        "errors": errors,
        "organizations": _call("organization_list", {"all_fields": True}),
        "groups": _call("group_list", {"all_fields": True}),
    })
    return Response(response, status=400) if errors else response


@tjportal_feedback.route("/suggestion/<id>")
def suggestion_read(id: str) -> str:
    suggestion = _call("tjportal_suggestion_show", {"id": id})
    user = tk.current_user
    can_answer = user.is_authenticated and tk.h.check_access("tjportal_suggestion_accept", {"id": id})
    return tk.render("tjportal/feedback/suggestion_read.html", {
        "suggestion": suggestion, "can_answer": can_answer,
    })


@tjportal_feedback.route("/suggestion/<id>/support", methods=["POST"])
def suggestion_support(id: str) -> Response:
    redirect = _login_first(tk._("Log in to support suggestions."))
    if redirect is not None:
        return redirect
    try:
        tk.get_action("tjportal_suggestion_support")(_context(), {"id": id})
    except tk.ObjectNotFound as error:
        return tk.abort(404, str(error))
    except tk.ValidationError as error:
        return tk.abort(409, _errors_text(error))
    tk.h.flash_success(tk._("Thank you for your support."))
    return tk.redirect_to("tjportal_feedback.suggestion_read", id=id)


@tjportal_feedback.route("/suggestion/<id>/<step>", methods=["POST"])
def suggestion_step(id: str, step: str) -> Response:
    if step not in SUGGESTION_STEPS:
        return tk.abort(404, tk._("Page not found"))
    redirect = _login_first(tk._("Log in to answer suggestions."))
    if redirect is not None:
        return redirect
    data_dict = {"id": id, "reply": tk.request.form.get("reply", ""), "package_id": tk.request.form.get("package_id", "")}
    try:
        suggestion = tk.get_action("tjportal_suggestion_" + step)(_context(), data_dict)
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    except tk.ObjectNotFound as error:
        return tk.abort(404, str(error))
    except tk.ValidationError as error:
        status = 409 if "state" in (error.error_dict or {}) else 400
        return tk.abort(status, _errors_text(error))
    tk.h.flash_success(tk._("The suggestion is now {state}.").format(state=suggestion["state_label"]))
    return tk.redirect_to("tjportal_feedback.suggestion_read", id=id)


# --- FAQ (常见问题) ----------------------------------------------------------------

FAQ_FIELDS = ("category", "question", "answer", "position")


def _faq_by_category(faqs: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    categories: dict[str, list[dict[str, Any]]] = {}
    for faq in faqs:
        categories.setdefault(faq["category"], []).append(faq)
    return list(categories.items())


@tjportal_feedback.route("/faq")
def faq() -> str:
    query = tk.request.args.get("q", "")
    faqs = _call("tjportal_faq_list", {"q": query} if query else {})
    return tk.render("tjportal/feedback/faq.html", {"categories": _faq_by_category(faqs), "q": query})


@tjportal_feedback.route("/faq/admin", methods=["GET", "POST"])
def faq_admin() -> Union[str, Response]:
    redirect = _login_first(tk._("Log in to manage the FAQ."))
    if redirect is not None:
        return redirect
    data = {field: tk.request.form.get(field, "") for field in FAQ_FIELDS}
    errors: dict[str, Any] = {}
    if tk.request.method == "POST":
        try:
            tk.get_action("tjportal_faq_create")(_context(), {**data, "position": data["position"] or 0})
        except tk.NotAuthorized as error:
            return tk.abort(403, str(error))
        except tk.ValidationError as error:
            errors = error.error_dict or {}
        else:
            tk.h.flash_success(tk._("The question has been added."))
            return tk.redirect_to("tjportal_feedback.faq_admin")
    elif not tk.h.check_access("tjportal_faq_create"):
        return tk.abort(403, tk._("Only sysadmins may manage the FAQ."))
    faqs = _call("tjportal_faq_list", {})
    response = tk.render("tjportal/feedback/faq_admin.html", {"faqs": faqs, "data": data, "errors": errors})
    return Response(response, status=400) if errors else response


@tjportal_feedback.route("/faq/<id>/edit", methods=["GET", "POST"])
def faq_edit(id: str) -> Union[str, Response]:
    redirect = _login_first(tk._("Log in to manage the FAQ."))
    if redirect is not None:
        return redirect
    faq = _call("tjportal_faq_show", {"id": id})
    if not tk.h.check_access("tjportal_faq_update", {"id": faq["id"]}):
        return tk.abort(403, tk._("Only sysadmins may manage the FAQ."))
    errors: dict[str, Any] = {}
    if tk.request.method == "POST":
        data = {field: tk.request.form.get(field, "") for field in FAQ_FIELDS}
        try:
            tk.get_action("tjportal_faq_update")(_context(), {**data, "id": faq["id"], "position": data["position"] or 0})
        except tk.ValidationError as error:
            errors = error.error_dict or {}
        else:
            tk.h.flash_success(tk._("The question has been saved."))
            return tk.redirect_to("tjportal_feedback.faq_admin")
    else:
        data = {field: faq[field] for field in FAQ_FIELDS}
    response = tk.render("tjportal/feedback/faq_edit.html", {"faq": faq, "data": data, "errors": errors})
    return Response(response, status=400) if errors else response


@tjportal_feedback.route("/faq/<id>/delete", methods=["POST"])
def faq_delete(id: str) -> Response:
    redirect = _login_first(tk._("Log in to manage the FAQ."))
    if redirect is not None:
        return redirect
    _call("tjportal_faq_delete", {"id": id})
    tk.h.flash_success(tk._("The question has been deleted."))
    return tk.redirect_to("tjportal_feedback.faq_admin")


from ckanext.tjportal.feedback.survey_views import tjportal_survey  # noqa: E402,F401 (for tk.blanket.blueprints)
