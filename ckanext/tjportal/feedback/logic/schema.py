"""Schemas of the feedback actions."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator, ValidatorFactory

from ckanext.tjportal.feedback import surveytime


@validator_args
def tjportal_rating_create_schema(
    not_empty: Validator,
    ignore_missing: Validator,
    unicode_safe: Validator,
    strip_value: Validator,
    tjportal_feedback_score: Validator,
    tjportal_feedback_comment_length: Validator,
) -> Schema:
    return {
        "package_id": [not_empty, unicode_safe],
        "accuracy": [not_empty, tjportal_feedback_score],
        "satisfaction": [not_empty, tjportal_feedback_score],
        "timeliness": [not_empty, tjportal_feedback_score],
        "usability": [not_empty, tjportal_feedback_score],
        "comment": [ignore_missing, unicode_safe, strip_value, tjportal_feedback_comment_length],
    }


@validator_args
def tjportal_rating_reference_schema(ignore_missing: Validator, unicode_safe: Validator) -> Schema:
    """Select a rating by ``id``, or the caller's rating of ``package_id``."""
    return {
        "id": [ignore_missing, unicode_safe],
        "package_id": [ignore_missing, unicode_safe],
    }


@validator_args
def tjportal_rating_hide_schema(
    not_empty: Validator, unicode_safe: Validator, boolean_validator: Validator, default: ValidatorFactory
) -> Schema:
    return {
        "id": [not_empty, unicode_safe],
        "hidden": [default(True), boolean_validator],
    }


@validator_args
def tjportal_rating_list_schema(
    ignore_missing: Validator,
    unicode_safe: Validator,
    natural_number_validator: Validator,
    limit_to_configured_maximum: ValidatorFactory,
    default: ValidatorFactory,
    boolean_validator: Validator,
) -> Schema:
    """List the ratings of ``package_id``, or those of ``user`` (name or id)."""
    return {
        "package_id": [ignore_missing, unicode_safe],
        "user": [ignore_missing, unicode_safe],
        "with_comment": [default(False), boolean_validator],
        "limit": [default(20), natural_number_validator, limit_to_configured_maximum("ckan.search.rows_max", 1000)],
        "offset": [default(0), natural_number_validator],
    }


@validator_args
def tjportal_rating_summary_show_schema(not_empty: Validator, unicode_safe: Validator) -> Schema:
    return {"package_id": [not_empty, unicode_safe]}


@validator_args
def tjportal_report_create_schema(
    not_empty: Validator,
    ignore_missing: Validator,
    unicode_safe: Validator,
    strip_value: Validator,
    one_of: ValidatorFactory,
    tjportal_feedback_text_length: Validator,
    tjportal_feedback_contact_length: Validator,
) -> Schema:
    return {
        "package_id": [not_empty, unicode_safe],
        "resource_id": [ignore_missing, unicode_safe],
        "kind": [not_empty, unicode_safe, one_of(["data", "metadata", "link", "other"])],
        "description": [not_empty, unicode_safe, strip_value, not_empty, tjportal_feedback_text_length],
        "contact": [ignore_missing, unicode_safe, strip_value, tjportal_feedback_contact_length],
    }


@validator_args
def tjportal_report_answer_schema(
    not_empty: Validator,
    ignore_missing: Validator,
    unicode_safe: Validator,
    strip_value: Validator,
    tjportal_feedback_text_length: Validator,
) -> Schema:
    """Select a report by ``id`` with the department's optional ``reply``."""
    return {
        "id": [not_empty, unicode_safe],
        "reply": [ignore_missing, unicode_safe, strip_value, tjportal_feedback_text_length],
    }


@validator_args
def tjportal_report_reject_schema(
    not_empty: Validator,
    unicode_safe: Validator,
    strip_value: Validator,
    tjportal_feedback_text_length: Validator,
) -> Schema:
    return {
        "id": [not_empty, unicode_safe],
        "reason": [not_empty, unicode_safe, strip_value, not_empty, tjportal_feedback_text_length],
    }


@validator_args
def tjportal_report_resolve_schema(
    not_empty: Validator,
    unicode_safe: Validator,
    strip_value: Validator,
    tjportal_feedback_text_length: Validator,
) -> Schema:
    return {
        "id": [not_empty, unicode_safe],
        "reply": [not_empty, unicode_safe, strip_value, not_empty, tjportal_feedback_text_length],
    }


@validator_args
def tjportal_report_list_schema(
    ignore_missing: Validator,
    unicode_safe: Validator,
    one_of: ValidatorFactory,
    natural_number_validator: Validator,
    limit_to_configured_maximum: ValidatorFactory,
    default: ValidatorFactory,
    boolean_validator: Validator,
) -> Schema:
    """List the caller's reports, a department's (``organization``), or with
    ``all`` every report (sysadmins)."""
    return {
        "organization": [ignore_missing, unicode_safe],
        "all": [default(False), boolean_validator],
        "state": [ignore_missing, one_of(["submitted", "accepted", "rejected", "resolved"])],
        "overdue": [default(False), boolean_validator],
        "limit": [default(50), natural_number_validator, limit_to_configured_maximum("ckan.search.rows_max", 1000)],
        "offset": [default(0), natural_number_validator],
    }


@validator_args
def tjportal_suggestion_create_schema(
    not_empty: Validator,
    ignore_missing: Validator,
    unicode_safe: Validator,
    strip_value: Validator,
    one_of: ValidatorFactory,
    tjportal_feedback_title_length: Validator,
    tjportal_feedback_text_length: Validator,
) -> Schema:
    return {
        "title": [not_empty, unicode_safe, strip_value, not_empty, tjportal_feedback_title_length],
        "wanted_type": [not_empty, unicode_safe, one_of(["dataset", "dataservice", "either"])],
        "reason": [not_empty, unicode_safe, strip_value, not_empty, tjportal_feedback_text_length],
        "organization": [ignore_missing, unicode_safe],
        "group": [ignore_missing, unicode_safe],
    }


@validator_args
def tjportal_suggestion_step_schema(
    not_empty: Validator,
    ignore_missing: Validator,
    unicode_safe: Validator,
    strip_value: Validator,
    tjportal_feedback_text_length: Validator,
) -> Schema:
    """Select a suggestion by ``id``, with the department's ``reply`` and,
    for fulfilment, the dataset (``package_id``)."""
    return {
        "id": [not_empty, unicode_safe],
        "reply": [ignore_missing, unicode_safe, strip_value, tjportal_feedback_text_length],
        "package_id": [ignore_missing, unicode_safe],
    }


@validator_args
def tjportal_suggestion_list_schema(
    ignore_missing: Validator,
    unicode_safe: Validator,
    one_of: ValidatorFactory,
    natural_number_validator: Validator,
    limit_to_configured_maximum: ValidatorFactory,
    default: ValidatorFactory,
) -> Schema:
    """List every suggestion, or those of ``user`` (name or id)."""
    return {
        "user": [ignore_missing, unicode_safe],
        "organization": [ignore_missing, unicode_safe],
        "state": [ignore_missing, one_of(["submitted", "accepted", "rejected", "fulfilled"])],
        "limit": [default(50), natural_number_validator, limit_to_configured_maximum("ckan.search.rows_max", 1000)],
        "offset": [default(0), natural_number_validator],
    }


@validator_args
def tjportal_faq_create_schema(
    not_empty: Validator,
    unicode_safe: Validator,
    strip_value: Validator,
    default: ValidatorFactory,
    int_validator: Validator,
    tjportal_feedback_title_length: Validator,
    tjportal_feedback_text_length: Validator,
) -> Schema:
    return {
        "category": [not_empty, unicode_safe, strip_value, not_empty, tjportal_feedback_title_length],
        "question": [not_empty, unicode_safe, strip_value, not_empty, tjportal_feedback_title_length],
        "answer": [not_empty, unicode_safe, strip_value, not_empty, tjportal_feedback_text_length],
        "position": [default(0), int_validator],
    }


def tjportal_faq_update_schema() -> Schema:
    schema = tjportal_faq_create_schema()
    schema["id"] = [tk.get_validator("not_empty"), tk.get_validator("unicode_safe")]
    return schema


@validator_args
def tjportal_faq_list_schema(ignore_missing: Validator, unicode_safe: Validator, strip_value: Validator) -> Schema:
    return {
        "q": [ignore_missing, unicode_safe, strip_value],
        "category": [ignore_missing, unicode_safe],
    }


@validator_args
def tjportal_survey_create_schema(
    not_empty: Validator,
    unicode_safe: Validator,
    strip_value: Validator,
    default: ValidatorFactory,
    tjportal_feedback_title_length: Validator,
    tjportal_feedback_text_length: Validator,
) -> Schema:
    """Return the schema of a survey's fields apart from its questions.
    ``logic/survey.py`` checks the questions, because their rules depend on
    their kind."""
    return {
        "title": [not_empty, unicode_safe, strip_value, not_empty, tjportal_feedback_title_length],
        "description": [default(""), unicode_safe, strip_value, tjportal_feedback_text_length],
        "opens": [not_empty, surveytime.survey_opens],
        "closes": [not_empty, surveytime.survey_closes],
    }


def tjportal_survey_update_schema() -> Schema:
    schema = tjportal_survey_create_schema()
    schema["id"] = [tk.get_validator("not_empty"), tk.get_validator("unicode_safe")]
    return schema


@validator_args
def tjportal_survey_list_schema(
    ignore_missing: Validator,
    one_of: ValidatorFactory,
    natural_number_validator: Validator,
    limit_to_configured_maximum: ValidatorFactory,
    default: ValidatorFactory,
) -> Schema:
    return {
        "status": [ignore_missing, one_of(["upcoming", "open", "closed"])],
        "limit": [default(50), natural_number_validator, limit_to_configured_maximum("ckan.search.rows_max", 1000)],
        "offset": [default(0), natural_number_validator],
    }
