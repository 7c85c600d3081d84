"""Validators of the feedback actions."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context

# Enough for a name with a phone number or an e-mail address.
CONTACT_MAX_LENGTH = 200
# Enough for the name of a data collection.
TITLE_MAX_LENGTH = 200


def tjportal_feedback_score(value: Any, context: Context) -> Any:
    """Accept a whole number from 1 to 5, given as a number or as text."""
    message = tk._("Scores must be whole numbers from 1 to 5, not {value}.")
    if isinstance(value, bool):
        raise tk.Invalid(message.format(value=value))
    try:
        score = int(str(value).strip())
    except ValueError:
        raise tk.Invalid(message.format(value=str(value)[:20]))
    if not 1 <= score <= 5:
        raise tk.Invalid(message.format(value=score))
    return score


def tjportal_feedback_comment_length(value: Any, context: Context) -> Any:
    maximum = tk.config.get("ckanext.tjportal.feedback.comment_max_length")
    if value and len(value) > maximum:
        raise tk.Invalid(
            tk._("Must be at most {maximum} characters long, not {length}.")
            .format(maximum=maximum, length=len(value))
        )
    return value


def tjportal_feedback_text_length(value: Any, context: Context) -> Any:
    maximum = tk.config.get("ckanext.tjportal.feedback.text_max_length")
    if value and len(value) > maximum:
        raise tk.Invalid(
            tk._("Must be at most {maximum} characters long, not {length}.")
            .format(maximum=maximum, length=len(value))
        )
    return value


def tjportal_feedback_contact_length(value: Any, context: Context) -> Any:
    if value and len(value) > CONTACT_MAX_LENGTH:
        raise tk.Invalid(
            tk._("Must be at most {maximum} characters long, not {length}.")
            .format(maximum=CONTACT_MAX_LENGTH, length=len(value))
        )
    return value


def tjportal_feedback_title_length(value: Any, context: Context) -> Any:
    if value and len(value) > TITLE_MAX_LENGTH:
        raise tk.Invalid(
            tk._("Must be at most {maximum} characters long, not {length}.")
            .format(maximum=TITLE_MAX_LENGTH, length=len(value))
        )
    return value
