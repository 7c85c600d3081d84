"""Look-ups shared by the developer actions and auth functions."""
from __future__ import annotations

from typing import Any, Optional

import ckan.model as model
from ckan.types import Context

from ckanext.tjportal.developer.model import Developer


def context_user(context: Context) -> Optional[model.User]:
    """Return the user an action runs as, or None for anonymous calls.

    The Action API view puts ``current_user`` into ``auth_user_obj``, which
    is an AnonymousUser rather than None for anonymous requests.
    """
    user = context.get("auth_user_obj")
    if isinstance(user, model.User):
        return user
    name = context.get("user")
    return model.User.get(name) if name else None


def find_developer(context: Context, data_dict: dict[str, Any]) -> Optional[Developer]:
    """Find a developer by ``id``, or by ``user`` (name or id), or else the
    registration of the calling user."""
    if data_dict.get("id"):
        return Developer.get(data_dict["id"])
    if data_dict.get("user"):
        user = model.User.get(data_dict["user"])
    else:
        user = context_user(context)
    if user is None:
        return None
    return Developer.by_user(user.id)


def is_own(context: Context, developer: Optional[Developer]) -> bool:
    """Tell whether the calling user is the developer."""
    user = context_user(context)
    return developer is not None and user is not None and developer.user_id == user.id
