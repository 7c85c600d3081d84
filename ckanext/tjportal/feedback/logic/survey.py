"""Actions of surveys (调查问卷).

Sysadmins publish surveys of single-choice, multiple-choice and free-text
questions. Logged-in users answer each survey once while it is open.
Sysadmins see the aggregated results and export the answers as CSV.
"""
from __future__ import annotations

import csv
import io
import logging
from collections import defaultdict
from typing import Any, Optional

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

import ckan.authz as authz
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tjportal.feedback import surveytime
from ckanext.tjportal.feedback.logic import schema
from ckanext.tjportal.feedback.logic.action import _commit, _validate
from ckanext.tjportal.feedback.logic.lookup import context_user
from ckanext.tjportal.feedback.model import (
    SURVEY_QUESTION_KINDS, Survey, SurveyAnswer, SurveyOption, SurveyQuestion, SurveyResponse, utcnow,
)

log = logging.getLogger(__name__)

__all__ = [
    "tjportal_survey_create",
    "tjportal_survey_update",
    "tjportal_survey_close",
    "tjportal_survey_delete",
    "tjportal_survey_show",
    "tjportal_survey_list",
    "tjportal_survey_answer",
    "tjportal_survey_results",
    "tjportal_survey_export",
]

SURVEY_UPCOMING = "upcoming"
SURVEY_OPEN = "open"
SURVEY_CLOSED = "closed"

MAX_QUESTIONS = 100
MAX_OPTIONS = 50
QUESTION_MAX_LENGTH = 500
OPTION_MAX_LENGTH = 200
# Joins the chosen options of a multiple-choice question in the CSV export.
CHOICE_SEPARATOR = "; "
# Spreadsheets run cells that start with these characters as formulas.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def survey_status_label(status: str) -> str:
    labels = {
        SURVEY_UPCOMING: tk._("Not open yet"),
        SURVEY_OPEN: tk._("Open"),
        SURVEY_CLOSED: tk._("Closed"),
    }
    return labels.get(status, status)


def survey_kind_label(kind: str) -> str:
    labels = {
        "single": tk._("Single choice"),
        "multiple": tk._("Multiple choice"),
        "text": tk._("Free text"),
    }
    return labels.get(kind, kind)


def _status(survey: Survey) -> str:
    now = utcnow()
    if now < survey.opens:
        return SURVEY_UPCOMING
    if now < survey.closes:
        return SURVEY_OPEN
    return SURVEY_CLOSED


def _conflict(message: str) -> tk.ValidationError:
    # The "state" key marks a conflict with the survey's state. The Action
    # API returns 409 for every ValidationError, and the pages do the same
    # for this key only.
    return tk.ValidationError({"state": [message]})


def _get(survey_id: Any) -> Survey:
    survey = Survey.get(survey_id) if isinstance(survey_id, str) else None
    if survey is None:
        raise tk.ObjectNotFound(tk._("Survey not found."))
    return survey


def _questions(survey: Survey) -> list[SurveyQuestion]:
    return (
        model.Session.query(SurveyQuestion)
        .filter(SurveyQuestion.survey_id == survey.id)
        .order_by(SurveyQuestion.position)
        .all()
    )


def _options(questions: list[SurveyQuestion]) -> dict[str, list[SurveyOption]]:
    """Return the options of the questions by question id, in order."""
    options: dict[str, list[SurveyOption]] = defaultdict(list)
    if not questions:
        return options
    rows = (
        model.Session.query(SurveyOption)
        .filter(SurveyOption.question_id.in_([question.id for question in questions]))
        .order_by(SurveyOption.position)
    )
    for option in rows:
        options[option.question_id].append(option)
    return options


def _response_counts(survey_ids: list[str]) -> dict[str, int]:
    if not survey_ids:
        return {}
    rows = (
        model.Session.query(SurveyResponse.survey_id, func.count())
        .filter(SurveyResponse.survey_id.in_(survey_ids))
        .group_by(SurveyResponse.survey_id)
    )
    return dict(rows)


def _viewer_response(survey: Survey, context: Context) -> Optional[SurveyResponse]:
    viewer = context_user(context)
    if viewer is None:
        return None
    return (
        model.Session.query(SurveyResponse)
        .filter(SurveyResponse.survey_id == survey.id, SurveyResponse.user_id == viewer.id)
        .one_or_none()
    )


def _dictize(survey: Survey, response_count: int) -> dict[str, Any]:
    status = _status(survey)
    return {
        "id": survey.id,
        "title": survey.title,
        "description": survey.description,
        "opens": survey.opens.isoformat(),
        "closes": survey.closes.isoformat(),
        "opens_display": surveytime.display(survey.opens),
        "closes_display": surveytime.display(survey.closes),
        "opens_input": surveytime.input_value(survey.opens),
        "closes_input": surveytime.input_value(survey.closes),
        "status": status,
        "status_label": survey_status_label(status),
        "response_count": response_count,
        "created": survey.created.isoformat(),
        "modified": survey.modified.isoformat(),
    }


def _dictize_questions(questions: list[SurveyQuestion]) -> list[dict[str, Any]]:
    options = _options(questions)
    return [
        {
            "id": question.id,
            "position": question.position,
            "kind": question.kind,
            "kind_label": survey_kind_label(question.kind),
            "text": question.text,
            "required": question.required,
            "options": [{"id": option.id, "text": option.text} for option in options[question.id]],
        }
        for question in questions
    ]


def _check_question(number: int, question: Any) -> tuple[dict[str, Any], list[str]]:
    """Return the cleaned question and the problems found in it."""
    prefix = tk._("Question {number}:").format(number=number) + " "
    if not isinstance(question, dict):
        return {}, [prefix + tk._("Must be an object with kind, text, required and options.")]

    problems = []
    kind = question.get("kind")
    if kind not in SURVEY_QUESTION_KINDS:
        problems.append(prefix + tk._("Invalid kind: {kind}. Use single, multiple or text.").format(kind=kind))

    text = question.get("text")
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        problems.append(prefix + tk._("The question text is missing."))
    elif len(text) > QUESTION_MAX_LENGTH:
        problems.append(prefix + tk._("The question text must be at most {maximum} characters long, not {length}.")
                        .format(maximum=QUESTION_MAX_LENGTH, length=len(text)))

    raw_options = question.get("options") or []
    if isinstance(raw_options, str):
        raw_options = raw_options.splitlines()
    if not isinstance(raw_options, list) or not all(isinstance(option, str) for option in raw_options):
        problems.append(prefix + tk._("Options must be a list of texts."))
        raw_options = []
    options = [option.strip() for option in raw_options if option.strip()]

    if kind == "text" and options:
        problems.append(prefix + tk._("A free-text question has no options."))
    if kind in ("single", "multiple"):
        if len(options) < 2:
            problems.append(prefix + tk._("A choice question needs at least 2 options."))
        if len(options) > MAX_OPTIONS:
            problems.append(prefix + tk._("A question may have at most {maximum} options, not {count}.")
                            .format(maximum=MAX_OPTIONS, count=len(options)))
        if len(set(options)) != len(options):
            problems.append(prefix + tk._("Each option must be different."))
        for option in options:
            if len(option) > OPTION_MAX_LENGTH:
                problems.append(prefix + tk._("Options must be at most {maximum} characters long, not {length}.")
                                .format(maximum=OPTION_MAX_LENGTH, length=len(option)))

    try:
        required = tk.asbool(question.get("required", False))
    except ValueError:
        problems.append(prefix + tk._("Required must be true or false."))
        required = False
    return {"kind": kind, "text": text, "required": required, "options": options}, problems


def _check_survey(data_dict: DataDict, schema_dict: dict[str, Any], context: Context) -> tuple[DataDict, list]:
    """Validate a survey with its questions; raise ValidationError listing
    every problem."""
    fields = {key: value for key, value in data_dict.items() if key != "questions"}
    data, errors = tk.navl_validate(fields, schema_dict, context)
    if not errors and data["closes"] <= data["opens"]:
        errors["closes"] = [tk._("The close date must be after the open date.")]

    questions = data_dict.get("questions")
    problems = []
    cleaned = []
    if not isinstance(questions, list) or not questions:
        problems.append(tk._("Add at least one question."))
    elif len(questions) > MAX_QUESTIONS:
        problems.append(tk._("A survey may have at most {maximum} questions, not {count}.")
                        .format(maximum=MAX_QUESTIONS, count=len(questions)))
    else:
        for number, question in enumerate(questions, start=1):
            question_data, question_problems = _check_question(number, question)
            cleaned.append(question_data)
            problems.extend(question_problems)
    if problems:
        errors["questions"] = problems
    if errors:
        raise tk.ValidationError(errors)
    return data, cleaned


def _add_questions(survey: Survey, questions: list[dict[str, Any]]) -> None:
    for position, question_data in enumerate(questions, start=1):
        question = SurveyQuestion(
            survey_id=survey.id, position=position, kind=question_data["kind"],
            text=question_data["text"], required=question_data["required"],
        )
        model.Session.add(question)
        model.Session.flush()
        for option_position, text in enumerate(question_data["options"], start=1):
            model.Session.add(SurveyOption(question_id=question.id, position=option_position, text=text))


def _full_dict(survey: Survey, context: Context) -> dict[str, Any]:
    result = _dictize(survey, _response_counts([survey.id]).get(survey.id, 0))
    result["questions"] = _dictize_questions(_questions(survey))
    response = _viewer_response(survey, context)
    result["answered"] = response is not None
    result["answered_display"] = surveytime.display(response.created) if response else None
    return result


def tjportal_survey_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Publish a survey (sysadmins).

    :param title: title of the survey
    :param description: introduction shown above the questions (optional)
    :param opens: when answers start, as ``YYYY-MM-DD`` or
        ``YYYY-MM-DDTHH:MM`` in the feedback time zone, or with a UTC offset
    :param closes: when answers stop, in the same format; a date alone
        means the end of that day
    :param questions: list of questions in order, each a dict of ``kind``
        (``single``, ``multiple`` or ``text``), ``text``, ``required``
        (boolean) and, for the choice kinds, ``options`` (2 or more texts)
    """
    tk.check_access("tjportal_survey_create", context, data_dict)
    data, questions = _check_survey(data_dict, schema.tjportal_survey_create_schema(), context)
    user = context_user(context)
    survey = Survey(
        title=data["title"], description=data["description"], opens=data["opens"], closes=data["closes"],
        creator_id=user.id if user else None,
    )
    model.Session.add(survey)
    model.Session.flush()
    _add_questions(survey, questions)
    _commit(context)
    log.info("Created survey %s with %d questions", survey.id, len(questions))
    return _full_dict(survey, context)


def tjportal_survey_update(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Replace every field and question of a survey that has no answers yet
    (sysadmins).

    :param id: survey id
    Other parameters as in ``tjportal_survey_create``.
    """
    tk.check_access("tjportal_survey_update", context, data_dict)
    survey = _get(data_dict.get("id"))
    if _response_counts([survey.id]).get(survey.id):
        raise _conflict(tk._("This survey has answers and can no longer be changed. Close or delete it instead."))
    data, questions = _check_survey(data_dict, schema.tjportal_survey_update_schema(), context)
    survey.title = data["title"]
    survey.description = data["description"]
    survey.opens = data["opens"]
    survey.closes = data["closes"]
    survey.modified = utcnow()
    # The options go with their questions by the foreign key's cascade.
    model.Session.query(SurveyQuestion).filter(SurveyQuestion.survey_id == survey.id).delete()
    _add_questions(survey, questions)
    _commit(context)
    log.info("Updated survey %s", survey.id)
    return _full_dict(survey, context)


def tjportal_survey_close(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Stop taking answers to a survey now, before its close date (sysadmins).

    :param id: survey id
    """
    tk.check_access("tjportal_survey_close", context, data_dict)
    survey = _get(data_dict.get("id"))
    if _status(survey) == SURVEY_CLOSED:
        raise _conflict(tk._("This survey is already closed."))
    now = utcnow()
    survey.closes = now
    survey.opens = min(survey.opens, now)
    survey.modified = now
    _commit(context)
    log.info("Closed survey %s early", survey.id)
    return _full_dict(survey, context)


def tjportal_survey_delete(context: Context, data_dict: DataDict) -> None:
    """Delete a survey with its questions and answers (sysadmins).

    :param id: survey id
    """
    tk.check_access("tjportal_survey_delete", context, data_dict)
    survey = _get(data_dict.get("id"))
    # The database's cascading foreign keys delete the questions, options,
    # responses and answers.
    model.Session.query(Survey).filter(Survey.id == survey.id).delete()
    _commit(context)
    log.info("Deleted survey %s", data_dict.get("id"))


@tk.side_effect_free
def tjportal_survey_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Return a survey with its questions and options, and whether the
    caller has answered it. Surveys are public.

    :param id: survey id
    """
    tk.check_access("tjportal_survey_show", context, data_dict)
    return _full_dict(_get(data_dict.get("id")), context)


@tk.side_effect_free
def tjportal_survey_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """List surveys, the latest opening first, optionally only those of one
    ``status`` (``upcoming``, ``open`` or ``closed``). Only sysadmins see
    the surveys that are not open yet.

    :param limit: number of surveys (default 50)
    :param offset: number of surveys to skip (default 0)
    """
    tk.check_access("tjportal_survey_list", context, data_dict)
    data = _validate(data_dict, schema.tjportal_survey_list_schema(), context)
    user = context_user(context)
    is_sysadmin = user is not None and authz.is_sysadmin(user.name)
    now = utcnow()

    query = model.Session.query(Survey)
    status = data.get("status")
    if status == SURVEY_UPCOMING or (status is None and is_sysadmin):
        if not is_sysadmin:
            raise tk.NotAuthorized(tk._("Only sysadmins may see the surveys that are not open yet."))
        if status == SURVEY_UPCOMING:
            query = query.filter(Survey.opens > now)
    else:
        query = query.filter(Survey.opens <= now)
    if status == SURVEY_OPEN:
        query = query.filter(Survey.closes > now)
    elif status == SURVEY_CLOSED:
        query = query.filter(Survey.closes <= now)

    count = query.count()
    surveys = query.order_by(Survey.opens.desc(), Survey.id).offset(data["offset"]).limit(data["limit"]).all()
    counts = _response_counts([survey.id for survey in surveys])
    return {"count": count, "results": [_dictize(survey, counts.get(survey.id, 0)) for survey in surveys]}


def _chosen_ids(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        # Keep the order and drop repeats and blanks.
        return list(dict.fromkeys(item for item in value if item))
    raise tk.Invalid(tk._("Give option ids as a list of texts."))


def _check_answer(question: SurveyQuestion, options: list[SurveyOption], value: Any) -> Any:
    """Return the option ids or text of one answer, None if unanswered, or
    raise Invalid."""
    if question.kind == "text":
        if value is not None and not isinstance(value, str):
            raise tk.Invalid(tk._("Give the answer as text."))
        text = (value or "").strip()
        maximum = tk.config.get("ckanext.tjportal.feedback.text_max_length")
        if len(text) > maximum:
            raise tk.Invalid(tk._("Must be at most {maximum} characters long, not {length}.")
                             .format(maximum=maximum, length=len(text)))
        answer: Any = text or None
    else:
        chosen = _chosen_ids(value)
        known = {option.id for option in options}
        unknown = [option_id for option_id in chosen if option_id not in known]
        if unknown:
            raise tk.Invalid(tk._("Unknown option for this question: {id}").format(id=unknown[0][:40]))
        if question.kind == "single" and len(chosen) > 1:
            raise tk.Invalid(tk._("Choose only one option."))
        answer = chosen or None
    if answer is None and question.required:
        raise tk.Invalid(tk._("This question is required."))
    return answer


def tjportal_survey_answer(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Answer an open survey, once per user.

    :param id: survey id
    :param answers: dict from question id to the answer: an option id for a
        single-choice question, a list of option ids for a multiple-choice
        question, a text for a free-text question. Optional questions may
        be left out.

    Errors are keyed by question id. Answering twice, or outside the
    survey's dates, is a conflict (key ``state``).
    """
    tk.check_access("tjportal_survey_answer", context, data_dict)
    survey = _get(data_dict.get("id"))
    status = _status(survey)
    if status == SURVEY_UPCOMING:
        raise _conflict(tk._("This survey opens on {date}.").format(date=surveytime.display(survey.opens)))
    if status == SURVEY_CLOSED:
        raise _conflict(tk._("This survey closed on {date}.").format(date=surveytime.display(survey.closes)))
    user = context_user(context)
    assert user is not None
    if _viewer_response(survey, context) is not None:
        raise _conflict(tk._("You have already answered this survey."))

    answers = data_dict.get("answers") or {}
    if not isinstance(answers, dict):
        raise tk.ValidationError({"answers": [tk._("Give the answers as an object from question id to answer.")]})
    questions = _questions(survey)
    options = _options(questions)
    errors: dict[str, list[str]] = {}
    unknown = set(answers) - {question.id for question in questions}
    if unknown:
        errors["answers"] = [tk._("Unknown question: {id}").format(id=sorted(unknown)[0][:40])]
    cleaned = {}
    for question in questions:
        try:
            cleaned[question.id] = _check_answer(question, options[question.id], answers.get(question.id))
        except tk.Invalid as error:
            errors[question.id] = [error.error]
    if errors:
        raise tk.ValidationError(errors)

    response = SurveyResponse(survey_id=survey.id, user_id=user.id)
    model.Session.add(response)
    try:
        model.Session.flush()
    except IntegrityError:
        # A concurrent request of the same user stored its response first.
        model.Session.rollback()
        raise _conflict(tk._("You have already answered this survey."))
    for question in questions:
        answer = cleaned[question.id]
        if answer is None:
            continue
        if question.kind == "text":
            model.Session.add(SurveyAnswer(response_id=response.id, question_id=question.id, text=answer))
        else:
            for option_id in answer:
                model.Session.add(SurveyAnswer(response_id=response.id, question_id=question.id, option_id=option_id))
    _commit(context)
    log.info("User %s answered survey %s", user.id, survey.id)
    return {"id": response.id, "survey_id": survey.id, "created": response.created.isoformat()}


def _answers_by_response(survey: Survey) -> dict[str, list[SurveyAnswer]]:
    rows = (
        model.Session.query(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .filter(SurveyResponse.survey_id == survey.id)
    )
    answers: dict[str, list[SurveyAnswer]] = defaultdict(list)
    for answer in rows:
        answers[answer.response_id].append(answer)
    return answers


def _responses(survey: Survey) -> list[SurveyResponse]:
    return (
        model.Session.query(SurveyResponse)
        .filter(SurveyResponse.survey_id == survey.id)
        .order_by(SurveyResponse.created, SurveyResponse.id)
        .all()
    )


@tk.side_effect_free
def tjportal_survey_results(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Return a survey with its aggregated answers (sysadmins): per choice
    question the count and percentage of each option among the users who
    answered the question, per free-text question the texts, oldest first.

    :param id: survey id
    """
    tk.check_access("tjportal_survey_results", context, data_dict)
    survey = _get(data_dict.get("id"))
    result = _full_dict(survey, context)
    answers = [answer for group in _answers_by_response(survey).values() for answer in group]
    order = {response.id: index for index, response in enumerate(_responses(survey))}
    answers.sort(key=lambda answer: order.get(answer.response_id, 0))

    for question in result["questions"]:
        own = [answer for answer in answers if answer.question_id == question["id"]]
        answered = len({answer.response_id for answer in own})
        question["answered"] = answered
        if question["kind"] == "text":
            question["texts"] = [answer.text for answer in own]
            continue
        counts: dict[str, int] = defaultdict(int)
        for answer in own:
            counts[answer.option_id] += 1
        for option in question["options"]:
            option["count"] = counts[option["id"]]
            option["percent"] = round(100.0 * option["count"] / answered, 1) if answered else 0.0
    return result


def _spreadsheet_safe(value: str) -> str:
    # A leading apostrophe makes spreadsheets show the text instead of
    # running it as a formula.
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


@tk.side_effect_free
def tjportal_survey_export(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Export the answers of a survey as CSV (sysadmins): one row per
    respondent with the submitted time (feedback time zone), the user name
    and one column per question; chosen options are joined with "; ".

    :param id: survey id
    :returns: ``filename`` and ``content``, the CSV text, starting with a
        byte order mark so that Excel reads it as UTF-8
    """
    tk.check_access("tjportal_survey_export", context, data_dict)
    survey = _get(data_dict.get("id"))
    questions = _questions(survey)
    options = [option for group in _options(questions).values() for option in group]
    option_texts = {option.id: option.text for option in options}
    # Chosen options are listed in their order in the question.
    option_order = {option.id: option.position for option in options}
    responses = _responses(survey)
    answers = _answers_by_response(survey)
    user_ids = {response.user_id for response in responses}
    users = {user.id: user.name for user in model.Session.query(model.User).filter(model.User.id.in_(user_ids))}

    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(
        [tk._("Submitted at"), tk._("User name")]
        + [_spreadsheet_safe("{}. {}".format(question.position, question.text)) for question in questions]
    )
    for response in responses:
        texts: dict[str, str] = {}
        chosen: dict[str, list[str]] = defaultdict(list)
        for answer in answers[response.id]:
            if answer.option_id:
                chosen[answer.question_id].append(answer.option_id)
            else:
                texts[answer.question_id] = answer.text or ""
        for question_id, option_ids in chosen.items():
            option_ids.sort(key=lambda option_id: option_order.get(option_id, 0))
            texts[question_id] = CHOICE_SEPARATOR.join(option_texts[option_id] for option_id in option_ids)
        writer.writerow(
            [surveytime.display(response.created), _spreadsheet_safe(users.get(response.user_id, ""))]
            + [_spreadsheet_safe(texts.get(question.id, "")) for question in questions]
        )
    return {
        "filename": "survey-{}-answers.csv".format(survey.id[:8]),
        "content": "\ufeff" + output.getvalue(),
    }
