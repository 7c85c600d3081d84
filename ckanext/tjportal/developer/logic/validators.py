"""Validators of developer registrations, exposed through IValidators."""
from __future__ import annotations

import re
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, FlattenDataDict, FlattenErrorDict, FlattenKey

from ckanext.tjportal.developer import model as developer_model

# GB 32100-2015: the unified social credit code uses these 31 characters,
# which are the digits and the capital letters without I, O, Z, S and V.
# Its 18th character is a check character computed from the first 17 with
# these weights (3 ** position mod 31).
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE_LENGTH = 18

# Mainland mobile numbers: 11 digits starting with 13-19.
MOBILE_PATTERN = re.compile(r"1[3-9]\d{9}")

DEVELOPER_NAME_MAX_LENGTH = 100
ORGANIZATION_NAME_MAX_LENGTH = 200
REJECT_REASON_MAX_LENGTH = 500

# The validators registered through IValidators; the rest are module helpers.
__all__ = [
    "tjportal_developer_credit_code",
    "tjportal_developer_mobile",
    "tjportal_developer_kind",
    "tjportal_developer_purpose_length",
    "tjportal_developer_reason_length",
    "tjportal_developer_name_length",
    "tjportal_developer_organization_name_length",
    "tjportal_developer_enterprise_field",
]


def credit_code_check_character(code17: str) -> str:
    """Compute the check character of the first 17 characters of a credit code."""
    total = sum(
        CREDIT_CODE_ALPHABET.index(character) * weight
        for character, weight in zip(code17, CREDIT_CODE_WEIGHTS)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def tjportal_developer_credit_code(value: Any, context: Context) -> Any:
    """Normalise a unified social credit code and verify its check character."""
    code = str(value).strip().upper()
    if len(code) != CREDIT_CODE_LENGTH:
        raise tk.Invalid(
            tk._("A unified social credit code has 18 characters, this one has {count}.")
            .format(count=len(code))
        )
    invalid = sorted({character for character in code if character not in CREDIT_CODE_ALPHABET})
    if invalid:
        raise tk.Invalid(
            tk._("A unified social credit code cannot contain: {characters}.")
            .format(characters=" ".join(invalid))
        )
    if credit_code_check_character(code[:17]) != code[17]:
        raise tk.Invalid(
            tk._("The check character of this unified social credit code is wrong; "
                 "please check the code for typing errors.")
        )
    return code


def tjportal_developer_mobile(value: Any, context: Context) -> Any:
    """Normalise a mainland mobile number, accepting spaces, hyphens and +86."""
    number = re.sub(r"[\s-]", "", str(value))
    if number.startswith("+86"):
        number = number[3:]
    if not MOBILE_PATTERN.fullmatch(number):
        raise tk.Invalid(
            tk._("Enter a mainland mobile number of 11 digits starting with 1, "
                 "such as 13812345678.")
        )
    return number


def tjportal_developer_kind(value: Any, context: Context) -> Any:
    if value not in (developer_model.KIND_INDIVIDUAL, developer_model.KIND_ENTERPRISE):
        raise tk.Invalid(tk._("Choose either individual or enterprise."))
    return value


def max_length(maximum: int) -> Any:
    """Build a validator that rejects text of more than ``maximum`` characters."""

    def validator(value: Any, context: Context) -> Any:
        if value is not None and len(str(value)) > maximum:
            raise tk.Invalid(
                tk._("Must be at most {maximum} characters long, this text has {count}.")
                .format(maximum=maximum, count=len(str(value)))
            )
        return value

    return validator


def tjportal_developer_purpose_length(value: Any, context: Context) -> Any:
    """Reject an intended use longer than the configured maximum."""
    maximum = tk.config.get("ckanext.tjportal.developer.purpose_max_length")
    return max_length(maximum)(value, context)


tjportal_developer_reason_length = max_length(REJECT_REASON_MAX_LENGTH)
tjportal_developer_name_length = max_length(DEVELOPER_NAME_MAX_LENGTH)
tjportal_developer_organization_name_length = max_length(ORGANIZATION_NAME_MAX_LENGTH)


def tjportal_developer_enterprise_field(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> Any:
    """Require the field for enterprises and drop it for individuals."""
    if data.get(("kind",)) == developer_model.KIND_ENTERPRISE:
        value = data.get(key)
        if value is tk.missing or value is None or not str(value).strip():
            errors[key].append(tk._("Missing value"))
            raise tk.StopOnError
        return
    data[key] = None
    raise tk.StopOnError
