"""Actions of open-data suggestions (开放建议): submitted, then accepted,
rejected or fulfilled by the department; logged-in users support (+1) them."""
from __future__ import annotations

import logging
from typing import Any, Optional

from sqlalchemy import func

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tjportal.feedback import duedate, ratelimit
from ckanext.tjportal.feedback.logic import schema
from ckanext.tjportal.feedback.logic.lookup import context_user
from ckanext.tjportal.feedback.model import (
    SUGGESTION_ACCEPTED, SUGGESTION_FULFILLED, SUGGESTION_REJECTED, SUGGESTION_SUBMITTED,
    Suggestion, SuggestionSupport, utcnow,
)

log = logging.getLogger(__name__)

__all__ = [
    "tjportal_suggestion_create",
    "tjportal_suggestion_accept",
    "tjportal_suggestion_reject",
    "tjportal_suggestion_fulfil",
    "tjportal_suggestion_support",
    "tjportal_suggestion_show",
    "tjportal_suggestion_list",
]

# The states each step may start from and the state it leads to.
STEPS = {
    "accept": ((SUGGESTION_SUBMITTED,), SUGGESTION_ACCEPTED),
    "reject": ((SUGGESTION_SUBMITTED,), SUGGESTION_REJECTED),
    "fulfil": ((SUGGESTION_SUBMITTED, SUGGESTION_ACCEPTED), SUGGESTION_FULFILLED),
}


def suggestion_state_label(state: str) -> str:
    labels = {
        SUGGESTION_SUBMITTED: tk._("Submitted"),
        SUGGESTION_ACCEPTED: tk._("Accepted"),
        SUGGESTION_REJECTED: tk._("Rejected"),
        SUGGESTION_FULFILLED: tk._("Fulfilled"),
    }
    return labels.get(state, state)


def _validate(data_dict: DataDict, schema_dict: dict[str, Any], context: Context) -> DataDict:
    data, errors = tk.navl_validate(data_dict, schema_dict, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _commit(context: Context) -> None:
    if not context.get("defer_commit"):
        model.Session.commit()


def _group(reference: Optional[str], is_organization: bool, field: str) -> Optional[model.Group]:
    if not reference:
        return None
    group = model.Group.get(reference)
    if group is None or group.is_organization != is_organization or group.state != "active":
        raise tk.ValidationError({field: [tk._("Not found: {id}").format(id=reference)]})
    return group


def _supports(suggestion_ids: list[str]) -> dict[str, int]:
    if not suggestion_ids:
        return {}
    rows = (
        model.Session.query(SuggestionSupport.suggestion_id, func.count())
        .filter(SuggestionSupport.suggestion_id.in_(suggestion_ids))
        .group_by(SuggestionSupport.suggestion_id)
    )
    return dict(rows)


def _dictize(suggestion: Suggestion, context: Context, support_count: Optional[int] = None) -> dict[str, Any]:
    user = model.User.get(suggestion.user_id)
    organization = model.Group.get(suggestion.organization_id) if suggestion.organization_id else None
    group = model.Group.get(suggestion.group_id) if suggestion.group_id else None
    package = model.Package.get(suggestion.package_id) if suggestion.package_id else None
    viewer = context_user(context)
    if support_count is None:
        support_count = _supports([suggestion.id]).get(suggestion.id, 0)
    supported = viewer is not None and model.Session.get(SuggestionSupport, (suggestion.id, viewer.id)) is not None
    return {
        "id": suggestion.id,
        "user_id": suggestion.user_id,
        "user_display_name": user.display_name if user else None,
        "title": suggestion.title,
        "wanted_type": suggestion.wanted_type,
        "reason": suggestion.reason,
        "organization_id": suggestion.organization_id,
        "organization_title": (organization.title or organization.name) if organization else None,
        "group_id": suggestion.group_id,
        "group_title": (group.title or group.name) if group else None,
        "state": suggestion.state,
        "state_label": suggestion_state_label(suggestion.state),
        "reply": suggestion.reply,
        "package_id": suggestion.package_id,
        "package_name": package.name if package and package.state == "active" else None,
        "package_type": package.type if package else None,
        "support_count": support_count,
        "supported": supported,
        "due_date": suggestion.due_date.isoformat(),
        "overdue": duedate.is_overdue(suggestion.due_date, suggestion.state != SUGGESTION_SUBMITTED),
        "created": suggestion.created.isoformat(),
        "modified": suggestion.modified.isoformat(),
    }


def _get(suggestion_id: Optional[str]) -> Suggestion:
    suggestion = Suggestion.get(suggestion_id)
    if suggestion is None:
        raise tk.ObjectNotFound(tk._("Suggestion not found."))
    return suggestion


def tjportal_suggestion_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Suggest data to open.

    :param title: what data
    :param wanted_type: ``dataset``, ``dataservice`` or ``either``
    :param reason: why it is needed
    :param organization: department (id or name) that should publish it (optional)
    :param group: topic (id or name) it belongs to (optional)
    """
    tk.check_access("tjportal_suggestion_create", context, data_dict)
    data = _validate(data_dict, schema.tjportal_suggestion_create_schema(), context)
    organization = _group(data.get("organization"), True, "organization")
    group = _group(data.get("group"), False, "group")

    user = context_user(context)
    assert user is not None
    ratelimit.consume(user.id)
    suggestion = Suggestion(
        user_id=user.id,
        title=data["title"],
        wanted_type=data["wanted_type"],
        reason=data["reason"],
        organization_id=organization.id if organization else None,
        group_id=group.id if group else None,
        state=SUGGESTION_SUBMITTED,
        due_date=duedate.due_date(),
    )
    model.Session.add(suggestion)
    model.Session.flush()
    _commit(context)
    log.info("User %s made suggestion %s", user.id, suggestion.id)
    return _dictize(suggestion, context, 0)


def _step(context: Context, data_dict: DataDict, step: str) -> dict[str, Any]:
    tk.check_access("tjportal_suggestion_" + step, context, data_dict)
    data = _validate(data_dict, schema.tjportal_suggestion_step_schema(), context)
    suggestion = _get(data["id"])
    allowed, target = STEPS[step]
    if suggestion.state not in allowed:
        raise tk.ValidationError({"state": [
            tk._("This suggestion is {state} and cannot become {target}.").format(
                state=suggestion_state_label(suggestion.state), target=suggestion_state_label(target)
            )
        ]})
    if step in ("reject", "fulfil") and not data.get("reply"):
        raise tk.ValidationError({"reply": [tk._("Missing value")]})
    if step == "fulfil":
        package = model.Package.get(data.get("package_id") or "")
        if package is None or package.state != "active":
            raise tk.ValidationError({"package_id": [
                tk._("Give the dataset that fulfils the suggestion: {id} was not found.").format(
                    id=data.get("package_id") or "")
            ]})
        suggestion.package_id = package.id

    user = context_user(context)
    suggestion.state = target
    suggestion.handler_id = user.id if user else None
    if data.get("reply"):
        suggestion.reply = data["reply"]
    suggestion.modified = utcnow()
    _commit(context)
    log.info("Suggestion %s is now %s", suggestion.id, target)
    return _dictize(suggestion, context)


def tjportal_suggestion_accept(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Accept a submitted suggestion (the department's staff).

    :param id: suggestion id
    :param reply: optional message to the users
    """
    return _step(context, data_dict, "accept")


def tjportal_suggestion_reject(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Reject a submitted suggestion (the department's staff).

    :param id: suggestion id
    :param reply: why it is rejected (required)
    """
    return _step(context, data_dict, "reject")


def tjportal_suggestion_fulfil(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Mark a suggestion fulfilled by a published dataset.

    :param id: suggestion id
    :param package_id: id or name of the dataset
    :param reply: message to the users (required)
    """
    return _step(context, data_dict, "fulfil")


def tjportal_suggestion_support(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Support (+1) a suggestion; each user may do so once.

    :param id: suggestion id
    """
    tk.check_access("tjportal_suggestion_support", context, data_dict)
    suggestion = _get(data_dict.get("id"))
    user = context_user(context)
    assert user is not None
    if model.Session.get(SuggestionSupport, (suggestion.id, user.id)) is not None:
        raise tk.ValidationError({"id": [tk._("You already support this suggestion.")]})
    model.Session.add(SuggestionSupport(suggestion_id=suggestion.id, user_id=user.id))
    model.Session.flush()
    _commit(context)
    return _dictize(suggestion, context)


@tk.side_effect_free
def tjportal_suggestion_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Return a suggestion. Suggestions are public.

    :param id: suggestion id
    """
    tk.check_access("tjportal_suggestion_show", context, data_dict)
    return _dictize(_get(data_dict.get("id")), context)


@tk.side_effect_free
def tjportal_suggestion_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """List suggestions, newest first, optionally of one ``user``, one
    ``organization`` or in one ``state``. Suggestions are public."""
    tk.check_access("tjportal_suggestion_list", context, data_dict)
    data = _validate(data_dict, schema.tjportal_suggestion_list_schema(), context)
    query = model.Session.query(Suggestion)
    if data.get("user"):
        user = model.User.get(data["user"])
        if user is None:
            raise tk.ObjectNotFound(tk._("User not found."))
        query = query.filter(Suggestion.user_id == user.id)
    if data.get("organization"):
        organization = model.Group.get(data["organization"])
        if organization is None:
            raise tk.ObjectNotFound(tk._("Department not found: {id}").format(id=data["organization"]))
        query = query.filter(Suggestion.organization_id == organization.id)
    if data.get("state"):
        query = query.filter(Suggestion.state == data["state"])
    count = query.count()
    suggestions = query.order_by(Suggestion.created.desc(), Suggestion.id).offset(data["offset"]).limit(data["limit"]).all()
    supports = _supports([suggestion.id for suggestion in suggestions])
    return {
        "count": count,
        "results": [_dictize(item, context, supports.get(item.id, 0)) for item in suggestions],
    }
