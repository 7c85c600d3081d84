"""Actions of developer registration, review, tokens and usage, and the
chained DataStore search actions that meter data-service calls."""
from __future__ import annotations

import datetime
import logging
from typing import Any, Optional

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import api_token
from ckan.types import Action, Context, DataDict

from ckanext.tjportal.developer import metering
from ckanext.tjportal.developer import model as developer_model
from ckanext.tjportal.developer.logic import access_action, schema
from ckanext.tjportal.developer.logic.lookup import context_user, find_developer, is_own
from ckanext.tjportal.developer.model import Developer, DeveloperUsage

log = logging.getLogger(__name__)

# Fields only the developer and sysadmins may read.
PRIVATE_FIELDS = ("organization_name", "credit_code", "email", "mobile", "purpose")
USAGE_DAYS_MAX = 366


def _validate(data_dict: DataDict, schema_dict: dict[str, Any], context: Context) -> DataDict:
    data, errors = tk.navl_validate(data_dict, schema_dict, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _commit(context: Context) -> None:
    if not context.get("defer_commit"):
        model.Session.commit()


def _iso(value: Optional[datetime.datetime]) -> Optional[str]:
    return value.isoformat() if value else None


def _dictize(developer: Developer, context: Context) -> dict[str, Any]:
    user = developer.user
    result: dict[str, Any] = {
        "id": developer.id,
        "user_id": developer.user_id,
        "user_name": user.name if user else None,
        "name": developer.name,
        "kind": developer.kind,
        "state": developer.state,
        "reject_reason": developer.reject_reason,
        # A token revoked on CKAN's own API token page no longer counts.
        "has_token": bool(developer.token_id) and model.ApiToken.get(developer.token_id) is not None,
        "token_created": _iso(developer.token_created),
        "reviewed": _iso(developer.reviewed),
        "created": _iso(developer.created),
        "modified": _iso(developer.modified),
    }
    viewer = context_user(context)
    if is_own(context, developer) or (viewer is not None and viewer.sysadmin):
        for field in PRIVATE_FIELDS:
            result[field] = getattr(developer, field)
    return result


def _get_or_404(context: Context, data_dict: DataDict) -> Developer:
    developer = find_developer(context, data_dict)
    if developer is None:
        raise tk.ObjectNotFound(tk._("Developer registration not found."))
    return developer


def _require_state(developer: Developer, allowed: tuple[str, ...], message: str) -> None:
    if developer.state not in allowed:
        raise tk.ValidationError({"state": [message.format(state=developer.state)]})


def _revoke_token(developer: Developer) -> None:
    """Revoke the developer's current portal token in CKAN, if any."""
    if not developer.token_id:
        return
    token_id = developer.token_id
    developer.token_id = None
    developer.token_created = None
    if model.ApiToken.get(token_id) is not None:
        tk.get_action("api_token_revoke")({"ignore_auth": True}, {"jti": token_id})
    log.info("Revoked the token of developer %s", developer.id)


def _issue_token(developer: Developer) -> str:
    """Replace the developer's portal token with a new CKAN API token.

    Returns the encoded token. CKAN does not store it, so it can be shown
    only once. Note that ``api_token_create`` commits the session itself.
    """
    _revoke_token(developer)
    user = developer.user
    assert user is not None
    result = tk.get_action("api_token_create")(
        {"ignore_auth": True, "user": user.name},
        {"user": user.name, "name": tk.config.get("ckanext.tjportal.developer.token_name")},
    )
    token = result["token"]
    decoded = api_token.decode(token) or {}
    developer.token_id = decoded["jti"]
    developer.token_created = _now()
    log.info("Issued a token to developer %s", developer.id)
    return token


def tjportal_developer_register(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Register the calling user as a developer.

    With ``ckanext.tjportal.developer.auto_approve`` on, the registration is
    approved at once and the result contains the new API token under ``token``,
    which is shown only this once. A user with a registration that was not
    rejected cannot register again; a rejected one is replaced.

    :param name: developer name
    :param kind: ``individual`` or ``enterprise``
    :param organization_name: enterprise name (enterprises only)
    :param credit_code: unified social credit code (enterprises only)
    :param email: contact e-mail
    :param mobile: mainland mobile number
    :param purpose: intended use of the data
    """
    tk.check_access("tjportal_developer_register", context, data_dict)
    data = _validate(data_dict, context.get("schema") or schema.tjportal_developer_register_schema(), context)

    user = context_user(context)
    assert user is not None
    developer = Developer.by_user(user.id)
    if developer is not None and developer.state != developer_model.STATE_REJECTED:
        raise tk.ValidationError({"user": [
            tk._("You have already registered as a developer (state: {state}).").format(state=developer.state)
        ]})
    if developer is None:
        developer = Developer(user_id=user.id)
        model.Session.add(developer)

    for field in ("name", "kind", "organization_name", "credit_code", "email", "mobile", "purpose"):
        setattr(developer, field, data.get(field))
    developer.state = developer_model.STATE_PENDING
    developer.reject_reason = None
    developer.reviewer_id = None
    developer.reviewed = None

    token = None
    if tk.config.get("ckanext.tjportal.developer.auto_approve"):
        developer.state = developer_model.STATE_APPROVED
        developer.reviewed = _now()
        model.Session.flush()
        token = _issue_token(developer)
    _commit(context)
    log.info("User %s registered as developer %s (%s)", user.name, developer.id, developer.state)

    result = _dictize(developer, context)
    if token:
        result["token"] = token
    return result


@tk.side_effect_free
def tjportal_developer_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Show a developer registration, by ``id`` or ``user``; by default the
    calling user's. Contact details are shown only to the developer and
    sysadmins."""
    tk.check_access("tjportal_developer_show", context, data_dict)
    data = _validate(data_dict, schema.tjportal_developer_reference_schema(), context)
    return _dictize(_get_or_404(context, data), context)


@tk.side_effect_free
def tjportal_developer_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """List developer registrations, newest first (sysadmins only).

    :param state: only registrations in this state (optional)
    :param limit: maximum number of results (default 50)
    :param offset: number of results to skip
    :returns: ``count`` and ``results``
    """
    tk.check_access("tjportal_developer_list", context, data_dict)
    data = _validate(data_dict, schema.tjportal_developer_list_schema(), context)
    query = model.Session.query(Developer)
    if data.get("state"):
        query = query.filter(Developer.state == data["state"])
    count = query.count()
    developers = query.order_by(Developer.created.desc()).offset(data["offset"]).limit(data["limit"])
    return {"count": count, "results": [_dictize(developer, context) for developer in developers]}


def tjportal_developer_approve(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Approve a pending registration (sysadmins only). The developer then
    issues their token on their registration page."""
    tk.check_access("tjportal_developer_approve", context, data_dict)
    data = _validate(data_dict, schema.tjportal_developer_id_schema(), context)
    developer = _get_or_404(context, data)
    _require_state(developer, (developer_model.STATE_PENDING,),
                   tk._("Only pending registrations can be approved; this one is {state}."))
    developer.state = developer_model.STATE_APPROVED
    _mark_reviewed(developer, context)
    _commit(context)
    log.info("Developer %s approved", developer.id)
    return _dictize(developer, context)


def tjportal_developer_reject(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Reject a pending registration with a ``reason`` (sysadmins only)."""
    tk.check_access("tjportal_developer_reject", context, data_dict)
    data = _validate(data_dict, schema.tjportal_developer_reject_schema(), context)
    developer = _get_or_404(context, data)
    _require_state(developer, (developer_model.STATE_PENDING,),
                   tk._("Only pending registrations can be rejected; this one is {state}."))
    developer.state = developer_model.STATE_REJECTED
    developer.reject_reason = data["reason"]
    _mark_reviewed(developer, context)
    _commit(context)
    log.info("Developer %s rejected", developer.id)
    return _dictize(developer, context)


def tjportal_developer_revoke(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Revoke an approved developer and its token (sysadmins only)."""
    tk.check_access("tjportal_developer_revoke", context, data_dict)
    data = _validate(data_dict, schema.tjportal_developer_id_schema(), context)
    developer = _get_or_404(context, data)
    _require_state(developer, (developer_model.STATE_APPROVED,),
                   tk._("Only approved developers can be revoked; this one is {state}."))
    developer.state = developer_model.STATE_REVOKED
    _mark_reviewed(developer, context)
    _revoke_token(developer)
    _commit(context)
    log.info("Developer %s revoked", developer.id)
    return _dictize(developer, context)


def _mark_reviewed(developer: Developer, context: Context) -> None:
    reviewer = context_user(context)
    developer.reviewer_id = reviewer.id if reviewer else None
    developer.reviewed = _now()


def tjportal_developer_token_issue(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Issue a new API token to an approved developer, revoking the previous
    one. The result contains the token under ``token``, shown only this once."""
    tk.check_access("tjportal_developer_token_issue", context, data_dict)
    data = _validate(data_dict, schema.tjportal_developer_reference_schema(), context)
    developer = _get_or_404(context, data)
    _require_state(developer, (developer_model.STATE_APPROVED,),
                   tk._("Only approved developers get tokens; this registration is {state}."))
    token = _issue_token(developer)
    _commit(context)
    result = _dictize(developer, context)
    result["token"] = token
    return result


def tjportal_developer_token_revoke(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Revoke the developer's current API token; the registration stays."""
    tk.check_access("tjportal_developer_token_revoke", context, data_dict)
    data = _validate(data_dict, schema.tjportal_developer_reference_schema(), context)
    developer = _get_or_404(context, data)
    _revoke_token(developer)
    _commit(context)
    return _dictize(developer, context)


@tk.side_effect_free
def tjportal_developer_usage_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Show a developer's metered calls per resource and day.

    Counts include calls still buffered in Redis. ``days`` (default 30, from
    1 to 366) sets how many days back, counted in the quota time zone.

    :returns: ``calls_today``, ``daily_quota``, ``timezone`` and ``usage``, a
        list of ``{resource_id, resource_name, package_name, day, calls}``,
        newest day first
    """
    tk.check_access("tjportal_developer_usage_list", context, data_dict)
    data = _validate(data_dict, schema.tjportal_developer_usage_list_schema(), context)
    developer = _get_or_404(context, data)
    today = metering.quota_day()
    days = max(1, min(int(data["days"]), USAGE_DAYS_MAX))
    since = today - datetime.timedelta(days=days - 1)

    counts: dict[tuple[str, datetime.date], int] = {}
    rows = model.Session.query(DeveloperUsage).filter(
        DeveloperUsage.developer_id == developer.id, DeveloperUsage.day >= since
    )
    for row in rows:
        counts[(row.resource_id, row.day)] = int(row.calls)
    for slot, calls in metering.pending_usage(developer.id).items():
        if slot[1] >= since:
            counts[slot] = counts.get(slot, 0) + calls

    usage = []
    for (resource_id, day), calls in sorted(counts.items(), key=lambda item: (item[0][1], item[0][0]), reverse=True):
        resource = model.Resource.get(resource_id)
        package = resource.package if resource else None
        usage.append({
            "resource_id": resource_id,
            "resource_name": resource.name if resource else None,
            "package_name": package.name if package else None,
            "package_title": package.title if package else None,
            "day": day.isoformat(),
            "calls": calls,
        })
    return {
        "calls_today": metering.calls_today(developer.id),
        "daily_quota": metering.daily_quota(),
        "timezone": tk.config.get("ckanext.tjportal.developer.timezone"),
        "usage": usage,
    }


def tjportal_developer_usage_flush(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Write the usage counters buffered in Redis to PostgreSQL (sysadmins
    only). Returns the number of rows written under ``rows``."""
    tk.check_access("tjportal_developer_usage_flush", context, data_dict)
    return {"rows": metering.flush_usage()}


def _metered(original: Action, context: Context, data_dict: DataDict) -> Any:
    meter = metering.Meter.for_call(context)
    if meter is None:
        return original(context, data_dict)
    context[metering.METER_CONTEXT_KEY] = meter  # type: ignore[literal-required]
    try:
        result = original(context, data_dict)
    except Exception:
        meter.failed()
        raise
    meter.succeeded()
    return result


@tk.chained_action
@tk.side_effect_free
def datastore_search(original: Action, context: Context, data_dict: DataDict) -> Any:
    # The token and quota checks run in the chained auth function, after
    # DataStore's own validation, so bad input still gets 409 and unknown
    # resources 404 without using up quota.
    return _metered(original, context, data_dict)


@tk.chained_action
@tk.side_effect_free
def _datastore_search_sql(original: Action, context: Context, data_dict: DataDict) -> Any:
    return _metered(original, context, data_dict)


@tk.chained_action
def api_token_revoke(original: Action, context: Context, data_dict: DataDict) -> Any:
    # The metering code caches token checks in Redis, so a revoked token
    # must leave that cache too. Every revocation, on CKAN's API token page
    # or by the portal's own actions, goes through this action.
    result = original(context, data_dict)
    token_id = data_dict.get("jti")
    if not token_id and data_dict.get("token"):
        token_id = (api_token.decode(data_dict["token"]) or {}).get("jti")
    if token_id:
        metering.forget_token(token_id)
    return result


def get_actions() -> dict[str, Action]:
    """Return the actions the plugin registers.

    DataStore registers ``datastore_search_sql`` only while
    ``ckan.datastore.sqlsearch.enabled`` is true, and CKAN refuses to start
    when a chained action has nothing to chain to, so the chained version is
    added under the same condition.
    """
    actions: dict[str, Action] = {
        name: function
        for name, function in globals().items()
        if name.startswith("tjportal_developer_") and callable(function)
    }
    actions.update({
        name: function
        for name, function in vars(access_action).items()
        if name.startswith("tjportal_access_application_") and callable(function)
    })
    actions["datastore_search"] = datastore_search
    actions["api_token_revoke"] = api_token_revoke
    if tk.config.get("ckan.datastore.sqlsearch.enabled"):
        actions["datastore_search_sql"] = _datastore_search_sql
    return actions
