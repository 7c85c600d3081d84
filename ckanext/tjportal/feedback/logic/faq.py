"""Actions of the FAQ (常见问题), which sysadmins manage."""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import or_

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tjportal.feedback.logic import schema
from ckanext.tjportal.feedback.model import Faq, utcnow

log = logging.getLogger(__name__)

__all__ = [
    "tjportal_faq_create",
    "tjportal_faq_update",
    "tjportal_faq_delete",
    "tjportal_faq_show",
    "tjportal_faq_list",
]

FIELDS = ("category", "question", "answer", "position")


def _validate(data_dict: DataDict, schema_dict: dict[str, Any], context: Context) -> DataDict:
    data, errors = tk.navl_validate(data_dict, schema_dict, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _commit(context: Context) -> None:
    if not context.get("defer_commit"):
        model.Session.commit()


def _dictize(faq: Faq) -> dict[str, Any]:
    result = {field: getattr(faq, field) for field in FIELDS}
    result.update({"id": faq.id, "created": faq.created.isoformat(), "modified": faq.modified.isoformat()})
    return result


def _get(faq_id: Any) -> Faq:
    faq = Faq.get(faq_id)
    if faq is None:
        raise tk.ObjectNotFound(tk._("Question not found."))
    return faq


def tjportal_faq_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Add a question (sysadmins).

    :param category: category name
    :param question: the question
    :param answer: the answer, in Markdown
    :param position: sort order within the category (default 0)
    """
    tk.check_access("tjportal_faq_create", context, data_dict)
    data = _validate(data_dict, schema.tjportal_faq_create_schema(), context)
    faq = Faq(**{field: data[field] for field in FIELDS})
    model.Session.add(faq)
    model.Session.flush()
    _commit(context)
    log.info("Added FAQ entry %s", faq.id)
    return _dictize(faq)


def tjportal_faq_update(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Replace every field of a question (sysadmins).

    :param id: question id
    Other parameters as in ``tjportal_faq_create``.
    """
    tk.check_access("tjportal_faq_update", context, data_dict)
    data = _validate(data_dict, schema.tjportal_faq_update_schema(), context)
    faq = _get(data["id"])
    for field in FIELDS:
        setattr(faq, field, data[field])
    faq.modified = utcnow()
    _commit(context)
    log.info("Updated FAQ entry %s", faq.id)
    return _dictize(faq)


def tjportal_faq_delete(context: Context, data_dict: DataDict) -> None:
    """Delete a question (sysadmins).

    :param id: question id
    """
    tk.check_access("tjportal_faq_delete", context, data_dict)
    faq = _get(data_dict.get("id"))
    model.Session.delete(faq)
    _commit(context)
    log.info("Deleted FAQ entry %s", data_dict.get("id"))


@tk.side_effect_free
def tjportal_faq_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Return a question.

    :param id: question id
    """
    tk.check_access("tjportal_faq_show", context, data_dict)
    return _dictize(_get(data_dict.get("id")))


@tk.side_effect_free
def tjportal_faq_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """List the questions by category and position, optionally only those
    whose question or answer contains ``q``, or of one ``category``."""
    tk.check_access("tjportal_faq_list", context, data_dict)
    data = _validate(data_dict, schema.tjportal_faq_list_schema(), context)
    query = model.Session.query(Faq)
    if data.get("q"):
        # Escape LIKE's wildcards so they match themselves.
        pattern = "%{}%".format(data["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        query = query.filter(or_(Faq.question.ilike(pattern, escape="\\"), Faq.answer.ilike(pattern, escape="\\")))
    if data.get("category"):
        query = query.filter(Faq.category == data["category"])
    faqs = query.order_by(Faq.category, Faq.position, Faq.created).all()
    return [_dictize(faq) for faq in faqs]
