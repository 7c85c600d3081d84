"""Actions of ratings (我要评价)."""
from __future__ import annotations

import logging
from typing import Any, Optional

from sqlalchemy import func

import ckan.lib.search as search
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tjportal.feedback import ratelimit
from ckanext.tjportal.feedback.logic import schema
from ckanext.tjportal.feedback.logic.lookup import context_user, get_package, is_department_admin
from ckanext.tjportal.feedback.model import SCORE_FIELDS, Rating

log = logging.getLogger(__name__)

# The actions the plugin registers; the other public names are for the
# plugin's search hooks.
__all__ = [
    "tjportal_rating_create",
    "tjportal_rating_delete",
    "tjportal_rating_hide",
    "tjportal_rating_show",
    "tjportal_rating_list",
    "tjportal_rating_summary_show",
]


def _validate(data_dict: DataDict, schema_dict: dict[str, Any], context: Context) -> DataDict:
    data, errors = tk.navl_validate(data_dict, schema_dict, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _commit(context: Context) -> None:
    if not context.get("defer_commit"):
        model.Session.commit()


def _reindex(package_id: str) -> None:
    """Index the dataset again so its rating fields follow the change."""
    package = model.Package.get(package_id)
    if package is None or package.state != "active":
        return
    search.rebuild(package.id)


def _user_names(user_ids: set[str]) -> dict[str, model.User]:
    if not user_ids:
        return {}
    users = model.Session.query(model.User).filter(model.User.id.in_(user_ids))
    return {user.id: user for user in users}


def _dictize_rating(rating: Rating, context: Context, user: Optional[model.User] = None) -> dict[str, Any]:
    viewer = context_user(context)
    package = model.Package.get(rating.package_id)
    moderator = is_department_admin(viewer, package)
    own = viewer is not None and viewer.id == rating.user_id
    if user is None:
        user = model.User.get(rating.user_id)
    result: dict[str, Any] = {
        "id": rating.id,
        "package_id": rating.package_id,
        "package_name": package.name if package else None,
        "package_title": package.title if package else None,
        "package_type": package.type if package else None,
        "user_id": rating.user_id,
        "user_name": user.name if user else None,
        "user_display_name": user.display_name if user else None,
        "comment_hidden": rating.comment_hidden,
        "comment": rating.comment if (own or moderator or not rating.comment_hidden) else None,
        "created": rating.created.isoformat(),
        "modified": rating.modified.isoformat(),
    }
    for field in SCORE_FIELDS:
        result[field] = getattr(rating, field)
    result["average"] = round(sum(result[field] for field in SCORE_FIELDS) / len(SCORE_FIELDS), 2)
    return result


def _find_rating(context: Context, data_dict: DataDict) -> Rating:
    rating = None
    if data_dict.get("id"):
        rating = Rating.get(data_dict["id"])
    elif data_dict.get("package_id"):
        user = context_user(context)
        package = get_package(data_dict["package_id"])
        rating = Rating.by_user(package.id, user.id) if user else None
    if rating is None:
        raise tk.ObjectNotFound(tk._("Rating not found."))
    return rating


def summarize_ratings(package_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Return the number of ratings and the average scores of each dataset
    that has any, keyed by dataset id."""
    if not package_ids:
        return {}
    columns = [func.avg(getattr(Rating, field)) for field in SCORE_FIELDS]
    rows = (
        model.Session.query(Rating.package_id, func.count(Rating.id), *columns)
        .filter(Rating.package_id.in_(package_ids))
        .group_by(Rating.package_id)
    )
    summaries = {}
    for package_id, count, *averages in rows:
        summary: dict[str, Any] = {"count": count}
        for field, average in zip(SCORE_FIELDS, averages):
            summary[field] = round(float(average), 2)
        summary["average"] = round(sum(float(value) for value in averages) / len(averages), 2)
        summaries[package_id] = summary
    return summaries


def tjportal_rating_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Rate a dataset or data service, or change the caller's rating of it.

    Each user has one rating per dataset; rating again replaces the scores
    and the comment. New ratings count against
    ``ckanext.tjportal.feedback.max_per_hour``.

    :param package_id: id or name of the dataset
    :param accuracy: 准确性, a whole number from 1 to 5
    :param satisfaction: 满意度, 1 to 5
    :param timeliness: 及时性, 1 to 5
    :param usability: 可用性, 1 to 5
    :param comment: optional comment
    """
    tk.check_access("tjportal_rating_create", context, data_dict)
    data = _validate(data_dict, context.get("schema") or schema.tjportal_rating_create_schema(), context)

    user = context_user(context)
    assert user is not None
    package = get_package(data["package_id"])
    if package.state != "active":
        raise tk.ObjectNotFound(tk._("Dataset not found: {id}").format(id=data["package_id"]))

    rating = Rating.by_user(package.id, user.id)
    if rating is None:
        ratelimit.consume(user.id)
        rating = Rating(package_id=package.id, user_id=user.id)
        model.Session.add(rating)
    for field in SCORE_FIELDS:
        setattr(rating, field, data[field])
    comment = data.get("comment") or None
    if comment != rating.comment:
        # A changed comment needs a new look from the moderators.
        rating.comment = comment
        rating.comment_hidden = False
        rating.hidden_by = None
    model.Session.flush()
    _commit(context)
    _reindex(package.id)
    log.info("User %s rated dataset %s", user.id, package.id)
    return _dictize_rating(rating, context, user)


def tjportal_rating_delete(context: Context, data_dict: DataDict) -> None:
    """Delete a rating: by ``id``, or the caller's rating of ``package_id``."""
    tk.check_access("tjportal_rating_delete", context, data_dict)
    data = _validate(data_dict, schema.tjportal_rating_reference_schema(), context)
    rating = _find_rating(context, data)
    # The auth function ran before the id was known when only package_id
    # was given; the rating found that way is the caller's own.
    tk.check_access("tjportal_rating_delete", context, {"id": rating.id})
    package_id = rating.package_id
    model.Session.delete(rating)
    _commit(context)
    _reindex(package_id)
    log.info("Deleted rating %s of dataset %s", rating.id, package_id)


def tjportal_rating_hide(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Hide an abusive comment of a rating, or show it again. The rating
    and its scores stay.

    :param id: rating id
    :param hidden: true to hide (default), false to show again
    """
    tk.check_access("tjportal_rating_hide", context, data_dict)
    data = _validate(data_dict, schema.tjportal_rating_hide_schema(), context)
    rating = _find_rating(context, {"id": data["id"]})
    user = context_user(context)
    rating.comment_hidden = bool(data["hidden"])
    rating.hidden_by = user.id if (user and rating.comment_hidden) else None
    _commit(context)
    log.info("Set comment of rating %s hidden=%s", rating.id, rating.comment_hidden)
    return _dictize_rating(rating, context)


@tk.side_effect_free
def tjportal_rating_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Return a rating: by ``id``, or the caller's rating of ``package_id``."""
    tk.check_access("tjportal_rating_show", context, data_dict)
    data = _validate(data_dict, schema.tjportal_rating_reference_schema(), context)
    rating = _find_rating(context, data)
    tk.check_access("tjportal_rating_show", context, {"package_id": rating.package_id})
    return _dictize_rating(rating, context)


@tk.side_effect_free
def tjportal_rating_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """List the ratings of a dataset (``package_id``) or of a user
    (``user``, default the caller), newest first.

    Hidden comments are left out for everyone but their authors, sysadmins
    and the department's admins. With ``with_comment`` true, only ratings
    with a comment that the caller may see are listed.
    """
    tk.check_access("tjportal_rating_list", context, data_dict)
    data = _validate(data_dict, schema.tjportal_rating_list_schema(), context)

    query = model.Session.query(Rating)
    if data.get("package_id"):
        package = get_package(data["package_id"])
        query = query.filter(Rating.package_id == package.id)
        if data["with_comment"]:
            query = query.filter(Rating.comment.isnot(None))
            if not is_department_admin(context_user(context), package):
                query = query.filter(Rating.comment_hidden.is_(False))
    else:
        user = model.User.get(data["user"]) if data.get("user") else context_user(context)
        if user is None:
            raise tk.ObjectNotFound(tk._("User not found."))
        query = query.filter(Rating.user_id == user.id)
        if data["with_comment"]:
            query = query.filter(Rating.comment.isnot(None))

    count = query.count()
    ratings = query.order_by(Rating.modified.desc(), Rating.id).offset(data["offset"]).limit(data["limit"]).all()
    users = _user_names({rating.user_id for rating in ratings})
    return {
        "count": count,
        "results": [_dictize_rating(rating, context, users.get(rating.user_id)) for rating in ratings],
    }


@tk.side_effect_free
def tjportal_rating_summary_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Return the number of ratings of a dataset and its average scores:
    one per dimension and ``average``, the mean of the four. The averages
    are null while the dataset has no ratings.

    :param package_id: id or name of the dataset
    """
    tk.check_access("tjportal_rating_summary_show", context, data_dict)
    data = _validate(data_dict, schema.tjportal_rating_summary_show_schema(), context)
    package = get_package(data["package_id"])
    summary = summarize_ratings([package.id]).get(package.id)
    if summary is None:
        summary = {"count": 0, "average": None, **{field: None for field in SCORE_FIELDS}}
    summary["package_id"] = package.id
    return summary
