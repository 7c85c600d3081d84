"""Actions of access applications (数据申请) for conditionally open datasets
and data services: developers apply, departments approve or reject."""
from __future__ import annotations

import datetime
import logging
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.tjportal.developer import access, mail
from ckanext.tjportal.developer import model as developer_model
from ckanext.tjportal.developer.logic import schema
from ckanext.tjportal.developer.logic.lookup import context_user
from ckanext.tjportal.developer.model import AccessApplication, AccessApplicationResource
from ckanext.tjportal import workdays

log = logging.getLogger(__name__)


def _validate(data_dict: DataDict, schema_dict: dict[str, Any], context: Context) -> DataDict:
    data, errors = tk.navl_validate(data_dict, schema_dict, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _commit(context: Context) -> None:
    if not context.get("defer_commit"):
        model.Session.commit()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _as_date(value: Any) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def _dictize(application: AccessApplication) -> dict[str, Any]:
    package = model.Package.get(application.package_id)
    user = model.User.get(application.user_id)
    organization = model.Group.get(application.owner_org)
    resources = []
    for resource_id in application.resource_ids:
        resource = model.Resource.get(resource_id)
        resources.append({"id": resource_id, "name": resource.name if resource else None})
    overdue = application.state == developer_model.STATE_PENDING and access.today() > application.due_date
    return {
        "id": application.id,
        "user_id": application.user_id,
        "user_name": user.name if user else None,
        "package_id": application.package_id,
        "package_name": package.name if package else None,
        "package_title": package.title if package else None,
        "package_type": package.type if package else None,
        "owner_org": application.owner_org,
        "organization_title": organization.title if organization else None,
        "resources": resources,
        "resource_ids": application.resource_ids,
        "purpose": application.purpose,
        "intended_use": application.intended_use,
        "start_date": application.start_date.isoformat(),
        "end_date": application.end_date.isoformat(),
        "state": application.state,
        "reject_reason": application.reject_reason,
        "due_date": application.due_date.isoformat(),
        "overdue": overdue,
        "reviewed": application.reviewed.isoformat() if application.reviewed else None,
        "created": application.created.isoformat(),
    }


def _get_or_404(data_dict: DataDict) -> AccessApplication:
    application = AccessApplication.get(data_dict.get("id"))
    if application is None:
        raise tk.ObjectNotFound(tk._("Access application not found."))
    return application


def _check_period(start: datetime.date, end: datetime.date) -> None:
    maximum = tk.config.get("ckanext.tjportal.access.max_days")
    if end < start:
        raise tk.ValidationError({"end_date": [tk._("The end date must not be before the start date.")]})
    days = (end - start).days + 1
    if days > maximum:
        raise tk.ValidationError({"end_date": [
            tk._("The period may be at most {maximum} days long, this one is {days} days.")
            .format(maximum=maximum, days=days)
        ]})
    if end < access.today():
        raise tk.ValidationError({"end_date": [tk._("The period has already ended.")]})


def tjportal_access_application_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Apply for access to resources of a conditionally open dataset (approved
    developers only). The owning department must review it within
    ``ckanext.tjportal.access.review_working_days`` working days.

    :param package_id: id or name of the dataset or data service
    :param resource_ids: ids of the resources wanted, all of that dataset
    :param purpose: purpose of the application
    :param intended_use: how the data will be used
    :param start_date: first day of the period (ISO date)
    :param end_date: last day of the period, at most
        ``ckanext.tjportal.access.max_days`` days after the first, counted inclusively
    """
    tk.check_access("tjportal_access_application_create", context, data_dict)
    data = _validate(data_dict, context.get("schema") or schema.tjportal_access_application_create_schema(), context)

    package_dict = tk.get_action("package_show")(
        {"user": context.get("user"), "auth_user_obj": context.get("auth_user_obj")},  # type: ignore[typeddict-item]
        {"id": data["package_id"]},
    )
    if not access.is_conditional(package_dict):
        raise tk.ValidationError({"package_id": [tk._("This dataset is open without conditions, so no application is needed.")]})
    known = {resource["id"] for resource in package_dict.get("resources") or []}
    unknown = [resource_id for resource_id in data["resource_ids"] if resource_id not in known]
    if unknown:
        raise tk.ValidationError({"resource_ids": [
            tk._("These resources are not part of this dataset: {ids}").format(ids=", ".join(unknown))
        ]})
    start = _as_date(data["start_date"])
    end = _as_date(data["end_date"])
    _check_period(start, end)

    user = context_user(context)
    assert user is not None
    resource_ids = sorted(set(data["resource_ids"]))
    pending = (
        model.Session.query(AccessApplicationResource.resource_id)
        .join(AccessApplication, AccessApplication.id == AccessApplicationResource.application_id)
        .filter(
            AccessApplication.user_id == user.id,
            AccessApplication.state == developer_model.STATE_PENDING,
            AccessApplicationResource.resource_id.in_(resource_ids),
        )
        .all()
    )
    if pending:
        raise tk.ValidationError({"resource_ids": [
            tk._("You already have a pending application for: {ids}").format(
                ids=", ".join(sorted(row[0] for row in pending)))
        ]})

    application = AccessApplication(
        user_id=user.id,
        package_id=package_dict["id"],
        owner_org=package_dict["owner_org"],
        purpose=data["purpose"],
        intended_use=data["intended_use"],
        start_date=start,
        end_date=end,
        state=developer_model.STATE_PENDING,
        due_date=workdays.add_working_days(
            access.today(), tk.config.get("ckanext.tjportal.access.review_working_days")),
    )
    application.resources = [AccessApplicationResource(resource_id=resource_id) for resource_id in resource_ids]
    model.Session.add(application)
    _commit(context)
    log.info("User %s applied for access to %s (application %s)", user.name, package_dict["id"], application.id)
    return _dictize(application)


@tk.side_effect_free
def tjportal_access_application_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Show an access application to its applicant, its department's editors
    and admins, and sysadmins."""
    tk.check_access("tjportal_access_application_show", context, data_dict)
    return _dictize(_get_or_404(data_dict))


@tk.side_effect_free
def tjportal_access_application_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """List access applications, pending ones by due date first.

    :param scope: ``mine`` (default, the caller's own), ``department`` (those
        to review for ``owner_org``, for its editors and admins) or ``all``
        (sysadmins)
    :param owner_org: id or name of the department, with ``department``
    :param state: only applications in this state (optional)
    :param overdue: only pending applications past their due date
    :returns: ``count`` and ``results``
    """
    tk.check_access("tjportal_access_application_list", context, data_dict)
    data = _validate(data_dict, schema.tjportal_access_application_list_schema(), context)
    query = model.Session.query(AccessApplication)
    if data["scope"] == "mine":
        user = context_user(context)
        assert user is not None
        query = query.filter(AccessApplication.user_id == user.id)
    elif data["scope"] == "department":
        organization = model.Group.get(data.get("owner_org") or "")
        if organization is None:
            raise tk.ObjectNotFound(tk._("Organization not found"))
        query = query.filter(AccessApplication.owner_org == organization.id)
    if data.get("state"):
        query = query.filter(AccessApplication.state == data["state"])
    if data["overdue"]:
        query = query.filter(
            AccessApplication.state == developer_model.STATE_PENDING,
            AccessApplication.due_date < access.today(),
        )
    count = query.count()
    applications = query.order_by(
        (AccessApplication.state != developer_model.STATE_PENDING),
        AccessApplication.due_date,
        AccessApplication.created.desc(),
    ).offset(data["offset"]).limit(data["limit"])
    return {"count": count, "results": [_dictize(application) for application in applications]}


def _review(context: Context, data: DataDict, state: str) -> AccessApplication:
    application = _get_or_404(data)
    if application.state != developer_model.STATE_PENDING:
        raise tk.ValidationError({"state": [
            tk._("Only pending applications can be reviewed; this one is {state}.").format(state=application.state)
        ]})
    reviewer = context_user(context)
    application.state = state
    application.reviewer_id = reviewer.id if reviewer else None
    application.reviewed = _now()
    return application


def tjportal_access_application_approve(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Approve a pending application (editors and admins of its department).
    The applicant is e-mailed."""
    tk.check_access("tjportal_access_application_approve", context, data_dict)
    data = _validate(data_dict, schema.tjportal_developer_id_schema(), context)
    application = _review(context, data, developer_model.STATE_APPROVED)
    _commit(context)
    log.info("Access application %s approved", application.id)
    result = _dictize(application)
    mail.send_decision(result)
    return result


def tjportal_access_application_reject(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Reject a pending application with a ``reason`` (editors and admins of
    its department). The applicant is e-mailed."""
    tk.check_access("tjportal_access_application_reject", context, data_dict)
    data = _validate(data_dict, schema.tjportal_access_application_reject_schema(), context)
    application = _review(context, data, developer_model.STATE_REJECTED)
    application.reject_reason = data["reason"]
    _commit(context)
    log.info("Access application %s rejected", application.id)
    result = _dictize(application)
    mail.send_decision(result)
    return result

