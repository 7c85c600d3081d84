"""Template helpers of the feedback plugin; they read through the actions."""
from __future__ import annotations

from typing import Any, Optional

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.tjportal.feedback import share
from ckanext.tjportal.feedback.logic.lookup import is_department_admin, is_department_staff
from ckanext.tjportal.translation import N_


def _context() -> dict[str, Any]:
    return {"user": tk.current_user.name, "auth_user_obj": tk.current_user}


# The form labels of the fields that validation errors name, so that users
# read "答复: 缺少值" instead of the field's key.
FIELD_LABELS = {
    "kind": N_("Kind of error"),
    "description": N_("Description"),
    "contact": N_("Contact"),
    "resource_id": N_("Resource"),
    "reason": N_("Reason"),
    "reply": N_("Reply"),
    "title": N_("What data"),
    "wanted_type": N_("Wanted as"),
    "organization": N_("Department"),
    "group": N_("Topic"),
    "package_id": N_("Dataset"),
    "comment": N_("Comment"),
    "category": N_("Category"),
    "question": N_("Question"),
    "answer": N_("Answer"),
    "position": N_("Position"),
}


def tjportal_feedback_error_items(errors: dict[str, Any]) -> list[tuple[str, str]]:
    """Pair each field's translated label with its joined error messages."""
    items = []
    for field, field_errors in (errors or {}).items():
        text = "; ".join(str(message) for message in field_errors) if isinstance(field_errors, list) else str(field_errors)
        label = tk._(FIELD_LABELS[field]) if field in FIELD_LABELS else field
        items.append((label, text))
    return items


def tjportal_feedback_score_fields() -> list[tuple[str, str]]:
    """Return the rating dimensions with their translated labels."""
    return [
        ("accuracy", tk._("Accuracy")),
        ("satisfaction", tk._("Satisfaction")),
        ("timeliness", tk._("Timeliness")),
        ("usability", tk._("Usability")),
    ]


def tjportal_feedback_rating_summary(package_id: str) -> dict[str, Any]:
    return tk.get_action("tjportal_rating_summary_show")(_context(), {"package_id": package_id})


def tjportal_feedback_recent_comments(package_id: str) -> list[dict[str, Any]]:
    limit = tk.config.get("ckanext.tjportal.feedback.recent_comments")
    result = tk.get_action("tjportal_rating_list")(
        _context(), {"package_id": package_id, "with_comment": True, "limit": limit}
    )
    return result["results"]


def tjportal_feedback_my_rating(package_id: str) -> Optional[dict[str, Any]]:
    """Return the current user's rating of the dataset, or None."""
    if not tk.current_user.is_authenticated:
        return None
    try:
        return tk.get_action("tjportal_rating_show")(_context(), {"package_id": package_id})
    except tk.ObjectNotFound:
        return None


def tjportal_feedback_can_moderate(package_id: str) -> bool:
    """Tell whether the current user may hide comments on this dataset."""
    user = model.User.get(tk.current_user.name) if tk.current_user.is_authenticated else None
    return is_department_admin(user, model.Package.get(package_id))


def tjportal_feedback_comment_max_length() -> int:
    return tk.config.get("ckanext.tjportal.feedback.comment_max_length")


def tjportal_feedback_text_max_length() -> int:
    return tk.config.get("ckanext.tjportal.feedback.text_max_length")


def tjportal_feedback_is_department_staff(organization_id: str) -> bool:
    """Tell whether the current user handles the department's error reports."""
    user = model.User.get(tk.current_user.name) if tk.current_user.is_authenticated else None
    return is_department_staff(user, organization_id)


def tjportal_feedback_share_url(package: dict[str, Any]) -> str:
    """Return the absolute address of the dataset's page that the share
    menu offers."""
    return share.page_url(package)


def tjportal_feedback_weibo_url(package: dict[str, Any]) -> str:
    return share.weibo_url(package)
