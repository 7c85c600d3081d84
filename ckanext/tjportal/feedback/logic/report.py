"""Actions of error reports (纠错): submitted, then accepted or rejected by
the department, then resolved."""
from __future__ import annotations

import logging
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tjportal.feedback import duedate, mail, ratelimit
from ckanext.tjportal.feedback.logic import schema
from ckanext.tjportal.feedback.logic.lookup import context_user, get_package
from ckanext.tjportal.feedback.model import (
    REPORT_ACCEPTED, REPORT_REJECTED, REPORT_RESOLVED, REPORT_SUBMITTED, Report, utcnow,
)

log = logging.getLogger(__name__)

__all__ = [
    "tjportal_report_create",
    "tjportal_report_accept",
    "tjportal_report_reject",
    "tjportal_report_resolve",
    "tjportal_report_show",
    "tjportal_report_list",
]

# The state each step needs and the state it leads to.
STEPS = {
    "accept": (REPORT_SUBMITTED, REPORT_ACCEPTED),
    "reject": (REPORT_SUBMITTED, REPORT_REJECTED),
    "resolve": (REPORT_ACCEPTED, REPORT_RESOLVED),
}


class StateConflict(tk.ValidationError):
    """A step that does not follow from the report's state. CKAN's Action
    API returns a ValidationError as 409 Conflict."""


def state_label(state: str) -> str:
    labels = {
        REPORT_SUBMITTED: tk._("Submitted"),
        REPORT_ACCEPTED: tk._("Accepted"),
        REPORT_REJECTED: tk._("Rejected"),
        REPORT_RESOLVED: tk._("Resolved"),
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


def _dictize(report: Report) -> dict[str, Any]:
    user = model.User.get(report.user_id)
    package = model.Package.get(report.package_id)
    resource = model.Resource.get(report.resource_id) if report.resource_id else None
    answered = report.state != REPORT_SUBMITTED
    return {
        "id": report.id,
        "package_id": report.package_id,
        "package_name": package.name if package and package.state == "active" else None,
        "package_type": package.type if package else None,
        "package_title": report.package_title,
        "resource_id": report.resource_id,
        "resource_name": resource.name if resource else None,
        "owner_org": report.owner_org,
        "user_id": report.user_id,
        "user_name": user.name if user else None,
        "user_display_name": user.display_name if user else None,
        "kind": report.kind,
        "description": report.description,
        "contact": report.contact,
        "state": report.state,
        "state_label": state_label(report.state),
        "reason": report.reason,
        "reply": report.reply,
        "due_date": report.due_date.isoformat(),
        "overdue": duedate.is_overdue(report.due_date, answered),
        "created": report.created.isoformat(),
        "modified": report.modified.isoformat(),
    }


def _get_report(report_id: str) -> Report:
    report = Report.get(report_id)
    if report is None:
        raise tk.ObjectNotFound(tk._("Error report not found."))
    return report


def tjportal_report_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Report an error in a dataset, a data service or one of its resources.

    :param package_id: id or name of the dataset
    :param resource_id: id of the resource (optional)
    :param kind: ``data``, ``metadata``, ``link`` (broken link or file) or ``other``
    :param description: what is wrong
    :param contact: how to reach the reporter (optional)
    """
    tk.check_access("tjportal_report_create", context, data_dict)
    data = _validate(data_dict, schema.tjportal_report_create_schema(), context)

    user = context_user(context)
    assert user is not None
    package = get_package(data["package_id"])
    if package.state != "active":
        raise tk.ObjectNotFound(tk._("Dataset not found: {id}").format(id=data["package_id"]))
    resource_id = data.get("resource_id") or None
    if resource_id is not None:
        resource = model.Resource.get(resource_id)
        if resource is None or resource.package_id != package.id or resource.state != "active":
            raise tk.ObjectNotFound(tk._("Resource not found: {id}").format(id=resource_id))

    ratelimit.consume(user.id)
    report = Report(
        package_id=package.id,
        package_title=package.title or package.name,
        resource_id=resource_id,
        owner_org=package.owner_org,
        user_id=user.id,
        kind=data["kind"],
        description=data["description"],
        contact=data.get("contact") or None,
        state=REPORT_SUBMITTED,
        due_date=duedate.due_date(),
    )
    model.Session.add(report)
    model.Session.flush()
    _commit(context)
    log.info("User %s reported error %s on dataset %s", user.id, report.id, package.id)
    return _dictize(report)


def _step(context: Context, data_dict: DataDict, step: str, schema_dict: dict[str, Any]) -> dict[str, Any]:
    action = "tjportal_report_" + step
    tk.check_access(action, context, data_dict)
    data = _validate(data_dict, schema_dict, context)
    report = _get_report(data["id"])
    needed, target = STEPS[step]
    if report.state != needed:
        raise StateConflict({"state": [
            tk._("This error report is {state}; only a report that is {needed} can be {target}.").format(
                state=state_label(report.state), needed=state_label(needed), target=state_label(target)
            )
        ]})

    user = context_user(context)
    report.state = target
    report.handler_id = user.id if user else None
    if data.get("reason"):
        report.reason = data["reason"]
    if data.get("reply"):
        report.reply = data["reply"]
    report.modified = utcnow()
    _commit(context)
    log.info("Error report %s is now %s", report.id, target)

    result = _dictize(report)
    mail.report_changed(result)
    return result


def tjportal_report_accept(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Accept a submitted error report (the department's staff).

    :param id: report id
    :param reply: optional message to the reporter
    """
    return _step(context, data_dict, "accept", schema.tjportal_report_answer_schema())


def tjportal_report_reject(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Reject a submitted error report (the department's staff).

    :param id: report id
    :param reason: why it is rejected (required)
    """
    return _step(context, data_dict, "reject", schema.tjportal_report_reject_schema())


def tjportal_report_resolve(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Mark an accepted error report resolved (the department's staff).

    :param id: report id
    :param reply: what was done (required)
    """
    return _step(context, data_dict, "resolve", schema.tjportal_report_resolve_schema())


@tk.side_effect_free
def tjportal_report_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Return an error report, to its reporter and the department's staff.

    :param id: report id
    """
    tk.check_access("tjportal_report_show", context, data_dict)
    return _dictize(_get_report(data_dict.get("id", "")))


@tk.side_effect_free
def tjportal_report_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """List error reports, newest first: the caller's own by default, a
    department's with ``organization`` (its staff), or every report with
    ``all`` (sysadmins). ``state`` and ``overdue`` filter the list.
    """
    tk.check_access("tjportal_report_list", context, data_dict)
    data = _validate(data_dict, schema.tjportal_report_list_schema(), context)

    query = model.Session.query(Report)
    if data.get("organization"):
        organization = model.Group.get(data["organization"])
        if organization is None:
            raise tk.ObjectNotFound(tk._("Department not found: {id}").format(id=data["organization"]))
        query = query.filter(Report.owner_org == organization.id)
    elif not data["all"]:
        user = context_user(context)
        if user is None:
            raise tk.NotAuthorized(tk._("Log in to see your error reports."))
        query = query.filter(Report.user_id == user.id)
    if data.get("state"):
        query = query.filter(Report.state == data["state"])
    if data["overdue"]:
        query = query.filter(Report.state == REPORT_SUBMITTED, Report.due_date < duedate.today())

    count = query.count()
    reports = query.order_by(Report.created.desc(), Report.id).offset(data["offset"]).limit(data["limit"]).all()
    return {"count": count, "results": [_dictize(report) for report in reports]}
