"""Pages of surveys (调查问卷): the public list, the answer form, and the
sysadmins' management, results and CSV export.

``feedback/views.py`` imports the blueprint, so ``tk.blanket.blueprints``
of the feedback plugin registers it with the feedback blueprint.
"""
from __future__ import annotations

import urllib.parse
from typing import Any, Union

from flask import Blueprint, Response

import ckan.plugins.toolkit as tk

tjportal_survey = Blueprint("tjportal_survey", __name__, url_prefix="/feedback")

# Imported after the blueprint exists, because views.py imports it from here.
from ckanext.tjportal.feedback import views as feedback_views  # noqa: E402

# Number of empty question blocks the form shows below the filled ones; the
# "More questions" button adds as many again.
EMPTY_BLOCKS = 3
SURVEY_FIELDS = ("title", "description", "opens", "closes")


def _sysadmin_first(message: str) -> Union[Response, None]:
    """Send anonymous visitors to log in and reject everyone but sysadmins."""
    redirect = feedback_views._login_first(message)
    if redirect is not None:
        return redirect
    if not tk.current_user.sysadmin:
        return tk.abort(403, tk._("Only sysadmins may manage surveys and see their answers."))
    return None


def _block_order(item: tuple[int, dict[str, Any]]) -> tuple[int, int]:
    index, block = item
    try:
        return int(block["position"]), index
    except ValueError:
        return index + 1, index


def _form_blocks(form: Any) -> list[dict[str, Any]]:
    """Read the question blocks of the survey form, ordered by their
    position numbers; blocks without text and options are skipped."""
    blocks = []
    index = 0
    while "question-{}-kind".format(index) in form:
        prefix = "question-{}-".format(index)
        block = {
            "kind": form.get(prefix + "kind", ""),
            "text": form.get(prefix + "text", "").strip(),
            "required": form.get(prefix + "required") == "on",
            "options": form.get(prefix + "options", ""),
            "position": form.get(prefix + "position", "").strip(),
        }
        if block["text"] or block["options"].strip():
            blocks.append((index, block))
        index += 1
    return [block for _, block in sorted(blocks, key=_block_order)]


def _survey_blocks(survey: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "kind": question["kind"],
            "text": question["text"],
            "required": question["required"],
            "options": "\n".join(option["text"] for option in question["options"]),
            "position": str(question["position"]),
        }
        for question in survey["questions"]
    ]


def _render_form(data: dict[str, Any], blocks: list[dict[str, Any]], errors: dict[str, Any],
                 survey: Union[dict[str, Any], None], extra_blocks: int = EMPTY_BLOCKS) -> Union[str, Response]:
    filled = len(blocks)
    blocks = blocks + [
        {"kind": "single", "text": "", "required": False, "options": "", "position": str(filled + number)}
        for number in range(1, extra_blocks + 1)
    ]
    response = tk.render("tjportal/feedback/survey_form.html", {
        "data": data, "blocks": blocks, "errors": errors, "survey": survey,
        "time_zone": tk.config.get("ckanext.tjportal.feedback.timezone"),
    })
    return Response(response, status=400) if errors else response


def _save_survey(action: str, survey: Union[dict[str, Any], None]) -> Union[str, Response]:
    """Handle the survey form for create and update."""
    form = tk.request.form
    data = {field: form.get(field, "") for field in SURVEY_FIELDS}
    blocks = _form_blocks(form)
    if form.get("more"):
        # Show the form again with more empty blocks. Nothing is saved yet.
        shown_blocks = sum(1 for key in form if key.endswith("-kind"))
        return _render_form(data, blocks, {}, survey, shown_blocks - len(blocks) + EMPTY_BLOCKS)

    questions = [
        {"kind": block["kind"], "text": block["text"], "required": block["required"],
         "options": block["options"].splitlines()}
        for block in blocks
    ]
    data_dict = {**data, "questions": questions}
    if survey is not None:
        data_dict["id"] = survey["id"]
    try:
        saved = tk.get_action(action)(feedback_views._context(), data_dict)
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    except tk.ValidationError as error:
        error_dict = error.error_dict or {}
        if "state" in error_dict:
            return tk.abort(409, feedback_views._errors_text(error))
        return _render_form(data, blocks, error_dict, survey)
    tk.h.flash_success(tk._("The survey has been saved."))
    return tk.redirect_to("tjportal_survey.read", id=saved["id"])


@tjportal_survey.route("/surveys")
def survey_list() -> str:
    result = feedback_views._call("tjportal_survey_list", {"limit": 200})
    surveys = result["results"]
    return tk.render("tjportal/feedback/survey_list.html", {
        "open_surveys": [survey for survey in surveys if survey["status"] == "open"],
        "closed_surveys": [survey for survey in surveys if survey["status"] == "closed"],
        "upcoming_surveys": [survey for survey in surveys if survey["status"] == "upcoming"],
    })


@tjportal_survey.route("/surveys/manage")
def manage() -> Union[str, Response]:
    denied = _sysadmin_first(tk._("Log in to manage surveys."))
    if denied is not None:
        return denied
    result = feedback_views._call("tjportal_survey_list", {"limit": 1000})
    return tk.render("tjportal/feedback/survey_manage.html", {"surveys": result["results"], "count": result["count"]})


@tjportal_survey.route("/surveys/new", methods=["GET", "POST"])
def new() -> Union[str, Response]:
    denied = _sysadmin_first(tk._("Log in to manage surveys."))
    if denied is not None:
        return denied
    if tk.request.method == "POST":
        return _save_survey("tjportal_survey_create", None)
    return _render_form({field: "" for field in SURVEY_FIELDS}, [], {}, None)


@tjportal_survey.route("/survey/<id>/edit", methods=["GET", "POST"])
def edit(id: str) -> Union[str, Response]:
    denied = _sysadmin_first(tk._("Log in to manage surveys."))
    if denied is not None:
        return denied
    survey = feedback_views._call("tjportal_survey_show", {"id": id})
    if survey["response_count"]:
        return tk.abort(409, tk._(
            "This survey has answers and can no longer be changed. Close or delete it instead."
        ))
    if tk.request.method == "POST":
        return _save_survey("tjportal_survey_update", survey)
    data = {
        "title": survey["title"], "description": survey["description"],
        "opens": survey["opens_input"], "closes": survey["closes_input"],
    }
    return _render_form(data, _survey_blocks(survey), {}, survey)


def _manage_step(action: str, id: str, message: str) -> Response:
    denied = _sysadmin_first(tk._("Log in to manage surveys."))
    if denied is not None:
        return denied
    try:
        tk.get_action(action)(feedback_views._context(), {"id": id})
    except tk.ObjectNotFound as error:
        return tk.abort(404, str(error))
    except tk.ValidationError as error:
        return tk.abort(409, feedback_views._errors_text(error))
    tk.h.flash_success(message)
    return tk.redirect_to("tjportal_survey.manage")


@tjportal_survey.route("/survey/<id>/close", methods=["POST"])
def close(id: str) -> Response:
    return _manage_step("tjportal_survey_close", id, tk._("The survey is closed."))


@tjportal_survey.route("/survey/<id>/delete", methods=["POST"])
def delete(id: str) -> Response:
    return _manage_step("tjportal_survey_delete", id, tk._("The survey has been deleted."))


def _form_answers(survey: dict[str, Any]) -> dict[str, Any]:
    form = tk.request.form
    answers: dict[str, Any] = {}
    for question in survey["questions"]:
        name = "answer-" + question["id"]
        if question["kind"] == "multiple":
            chosen = form.getlist(name)
            if chosen:
                answers[question["id"]] = chosen
        elif name in form:
            # Several values for a single choice come from a crafted form;
            # the action rejects them.
            values = form.getlist(name)
            answers[question["id"]] = values if len(values) > 1 else values[0]
    return answers


@tjportal_survey.route("/survey/<id>", methods=["GET", "POST"])
def read(id: str) -> Union[str, Response]:
    redirect = feedback_views._login_first(tk._("Log in to answer surveys."))
    if redirect is not None:
        return redirect
    survey = feedback_views._call("tjportal_survey_show", {"id": id})
    answers: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    status = 200
    if tk.request.method == "POST":
        answers = _form_answers(survey)
        try:
            tk.get_action("tjportal_survey_answer")(feedback_views._context(), {"id": id, "answers": answers})
        except tk.NotAuthorized as error:
            return tk.abort(403, str(error))
        except tk.ValidationError as error:
            errors = error.error_dict or {}
            status = 409 if "state" in errors else 400
        else:
            tk.h.flash_success(tk._("Thank you, your answers have been saved."))
            return tk.redirect_to("tjportal_survey.read", id=id)
    response = tk.render("tjportal/feedback/survey_read.html", {
        "survey": survey, "answers": answers, "errors": errors,
        "text_max_length": tk.config.get("ckanext.tjportal.feedback.text_max_length"),
    })
    return Response(response, status=status) if status != 200 else response


@tjportal_survey.route("/survey/<id>/results")
def results(id: str) -> Union[str, Response]:
    denied = _sysadmin_first(tk._("Log in to see survey results."))
    if denied is not None:
        return denied
    survey = feedback_views._call("tjportal_survey_results", {"id": id})
    return tk.render("tjportal/feedback/survey_results.html", {"survey": survey})


@tjportal_survey.route("/survey/<id>/export")
def export(id: str) -> Response:
    denied = _sysadmin_first(tk._("Log in to export survey answers."))
    if denied is not None:
        return denied
    survey = feedback_views._call("tjportal_survey_show", {"id": id})
    exported = feedback_views._call("tjportal_survey_export", {"id": id})
    # An ASCII name for old clients and the survey title for the others
    # (RFC 6266 filename*).
    readable = urllib.parse.quote("{}.csv".format(survey["title"]), safe="")
    disposition = "attachment; filename=\"{}\"; filename*=UTF-8''{}".format(exported["filename"], readable)
    return Response(
        exported["content"].encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": disposition, "Content-Type": "text/csv; charset=utf-8"},
    )
