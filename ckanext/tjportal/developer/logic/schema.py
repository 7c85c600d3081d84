"""Schemas of the developer actions."""
from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator, ValidatorFactory


@validator_args
def tjportal_developer_register_schema(
    not_empty: Validator,
    unicode_safe: Validator,
    strip_value: Validator,
    email_validator: Validator,
    tjportal_developer_kind: Validator,
    tjportal_developer_credit_code: Validator,
    tjportal_developer_mobile: Validator,
    tjportal_developer_purpose_length: Validator,
    tjportal_developer_name_length: Validator,
    tjportal_developer_organization_name_length: Validator,
    tjportal_developer_enterprise_field: Validator,
) -> Schema:
    return {
        "name": [not_empty, unicode_safe, strip_value, tjportal_developer_name_length],
        "kind": [not_empty, unicode_safe, tjportal_developer_kind],
        "organization_name": [
            tjportal_developer_enterprise_field,
            unicode_safe,
            strip_value,
            tjportal_developer_organization_name_length,
        ],
        "credit_code": [
            tjportal_developer_enterprise_field,
            unicode_safe,
            tjportal_developer_credit_code,
        ],
        "email": [not_empty, unicode_safe, strip_value, email_validator],
        "mobile": [not_empty, unicode_safe, tjportal_developer_mobile],
        "purpose": [not_empty, unicode_safe, strip_value, tjportal_developer_purpose_length],
    }


@validator_args
def tjportal_developer_reference_schema(
    ignore_missing: Validator, unicode_safe: Validator
) -> Schema:
    """Select a developer by ``id``, or by ``user`` (name or id); defaults to
    the calling user."""
    return {
        "id": [ignore_missing, unicode_safe],
        "user": [ignore_missing, unicode_safe],
    }


@validator_args
def tjportal_developer_reject_schema(
    not_empty: Validator,
    unicode_safe: Validator,
    strip_value: Validator,
    tjportal_developer_reason_length: Validator,
) -> Schema:
    return {
        "id": [not_empty, unicode_safe],
        "reason": [not_empty, unicode_safe, strip_value, tjportal_developer_reason_length],
    }


@validator_args
def tjportal_developer_id_schema(not_empty: Validator, unicode_safe: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe]}


@validator_args
def tjportal_developer_list_schema(
    ignore_missing: Validator,
    unicode_safe: Validator,
    one_of: ValidatorFactory,
    natural_number_validator: Validator,
    limit_to_configured_maximum: ValidatorFactory,
    default: ValidatorFactory,
) -> Schema:
    return {
        "state": [ignore_missing, one_of(["pending", "approved", "rejected", "revoked"])],
        "limit": [default(50), natural_number_validator, limit_to_configured_maximum("ckan.search.rows_max", 1000)],
        "offset": [default(0), natural_number_validator],
    }


@validator_args
def tjportal_developer_usage_list_schema(
    ignore_missing: Validator,
    unicode_safe: Validator,
    natural_number_validator: Validator,
    default: ValidatorFactory,
) -> Schema:
    return {
        "id": [ignore_missing, unicode_safe],
        "user": [ignore_missing, unicode_safe],
        "days": [default(30), natural_number_validator],
    }


@validator_args
def tjportal_access_application_create_schema(
    not_empty: Validator,
    unicode_safe: Validator,
    strip_value: Validator,
    isodate: Validator,
    list_of_strings: Validator,
    tjportal_developer_purpose_length: Validator,
) -> Schema:
    return {
        "package_id": [not_empty, unicode_safe],
        "resource_ids": [not_empty, list_of_strings],
        "purpose": [not_empty, unicode_safe, strip_value, tjportal_developer_purpose_length],
        "intended_use": [not_empty, unicode_safe, strip_value, tjportal_developer_purpose_length],
        "start_date": [not_empty, isodate],
        "end_date": [not_empty, isodate],
    }


@validator_args
def tjportal_access_application_list_schema(
    ignore_missing: Validator,
    unicode_safe: Validator,
    one_of: ValidatorFactory,
    boolean_validator: Validator,
    natural_number_validator: Validator,
    limit_to_configured_maximum: ValidatorFactory,
    default: ValidatorFactory,
) -> Schema:
    """``scope`` is ``mine`` (the caller's applications), ``department`` (those
    of ``owner_org``) or ``all`` (sysadmins)."""
    return {
        "scope": [default("mine"), one_of(["mine", "department", "all"])],
        "owner_org": [ignore_missing, unicode_safe],
        "state": [ignore_missing, one_of(["pending", "approved", "rejected"])],
        "overdue": [default(False), boolean_validator],
        "limit": [default(50), natural_number_validator, limit_to_configured_maximum("ckan.search.rows_max", 1000)],
        "offset": [default(0), natural_number_validator],
    }


@validator_args
def tjportal_access_application_reject_schema(
    not_empty: Validator,
    unicode_safe: Validator,
    strip_value: Validator,
    tjportal_developer_reason_length: Validator,
) -> Schema:
    # The reason is stripped before not_empty, so a reason of only spaces is
    # missing.
    return {
        "id": [not_empty, unicode_safe],
        "reason": [unicode_safe, strip_value, not_empty, tjportal_developer_reason_length],
    }
