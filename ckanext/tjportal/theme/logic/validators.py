"""Validators used by the portal's scheming schemas.

The plugin's validators blanket registers every public function defined here,
so public names start with ``tjportal_`` and private helpers with ``_``.
"""
from __future__ import annotations

import re
import secrets
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, FlattenDataDict, FlattenErrorDict, FlattenKey

from ckanext.tjportal.theme.logic.slug import slugify_title

# CKAN's limits for package names (ckan.model.PACKAGE_NAME_MAX_LENGTH and
# PACKAGE_NAME_MIN_LENGTH in 2.12).
_NAME_MAX_LENGTH = 100
_NAME_MIN_LENGTH = 2
# How many numbered suffixes (-2, -3, ...) a generated name tries before it
# falls back to a random one.
_NAME_SUFFIX_ATTEMPTS = 50

_PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()\-]{3,30}(?:\s*(?:ext\.?|转|x)\s*[0-9]{1,6})?$")
_URL_PATTERN = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def _is_empty(value: Any) -> bool:
    return value is tk.missing or value is None or (
        isinstance(value, str) and not value.strip()
    )


def _drop_if_empty(key: FlattenKey, data: FlattenDataDict) -> None:
    """Remove an empty optional value and stop its validator chain."""
    if _is_empty(data.get(key)):
        data.pop(key, None)
        raise tk.StopOnError


def _name_is_taken(name: str, package_id: str | None) -> bool:
    # Deleted datasets keep their name in the package table, whose unique
    # constraint covers every state, so a generated name avoids them too.
    query = model.Session.query(model.Package.id).filter(
        model.Package.name == name
    )
    if package_id:
        query = query.filter(model.Package.id != package_id)
    return model.Session.query(query.exists()).scalar()


def _unique_name(base: str, package_id: str | None) -> str:
    if not _name_is_taken(base, package_id):
        return base
    for number in range(2, _NAME_SUFFIX_ATTEMPTS + 2):
        suffix = "-%d" % number
        candidate = base[: _NAME_MAX_LENGTH - len(suffix)] + suffix
        if not _name_is_taken(candidate, package_id):
            return candidate
    suffix = "-" + secrets.token_hex(3)
    return base[: _NAME_MAX_LENGTH - len(suffix)] + suffix


def tjportal_name_from_title(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
    context: Context,
) -> None:
    """Fill an empty dataset name from the pinyin of its title.

    On update an empty name keeps the stored one. A given name is left for
    ``name_validator`` and ``package_name_validator``, which run next.
    """
    if not _is_empty(data.get(key)):
        return

    package = context.get("package")
    if package is not None:
        data[key] = package.name
        return

    title = data.get(key[:-1] + ("title",))
    if _is_empty(title):
        # The title's own required check reports the problem, so the name
        # gets no second error here.
        raise tk.StopOnError

    base = slugify_title(
        str(title), max_length=_NAME_MAX_LENGTH - 8, min_length=_NAME_MIN_LENGTH
    )
    data[key] = _unique_name(base, None)


def _topic_names(value: Any) -> list[str] | None:
    """Return the topic names of a form or API value, or None if malformed.

    The web form posts one name or a list of names; the API posts the CKAN
    group list, ``[{"name": ...}]`` or ``[{"id": ...}]``.
    """
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return None
    names = []
    for item in value:
        if isinstance(item, dict):
            item = item.get("name") or item.get("id")
        if not isinstance(item, str):
            return None
        if item.strip():
            names.append(item.strip())
    return names


def tjportal_topics(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
    context: Context,
) -> None:
    """Require one or more existing topics (CKAN groups) for a dataset.

    Stores the value as CKAN's group list, ``[{"name": ...}]``, so the form
    and the API end up with the same memberships.
    """
    value = data.get(key)
    package = context.get("package")
    if value is tk.missing and package is not None and package.get_groups("group"):
        # An update without "groups" keeps the stored topics, as in core.
        data.pop(key, None)
        raise tk.StopOnError

    names = [] if _is_empty(value) else _topic_names(value)
    if names is None:
        errors[key].append(
            tk._('Give topics as a list of topic names, for example ["health"].')
        )
        raise tk.StopOnError
    if not names:
        errors[key].append(tk._("Select at least one topic."))
        raise tk.StopOnError

    groups = []
    for name in dict.fromkeys(names):
        group = model.Group.get(name)
        if group is None or group.is_organization or group.state != "active":
            errors[key].append(
                tk._('Topic "{name}" does not exist. Choose one of the '
                     "topics listed on the topics page.").format(name=name)
            )
            continue
        groups.append({"name": group.name})

    if errors[key]:
        raise tk.StopOnError
    data[key] = groups


def tjportal_conditions_required(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
    context: Context,
) -> None:
    """Require the open conditions text when the data is open on conditions."""
    condition = data.get(key[:-1] + ("open_condition",))
    value = data.get(key)
    if condition == "conditional" and _is_empty(value):
        errors[key].append(
            tk._("Describe the open conditions, because the open condition "
                 "is set to conditional.")
        )
        raise tk.StopOnError
    _drop_if_empty(key, data)
    data[key] = str(value).strip()


def tjportal_non_negative_integer(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
    context: Context,
) -> None:
    """Accept a whole number of zero or more, given as an int or digits.

    An empty value removes the field, so "" from the form means "unknown".
    """
    _drop_if_empty(key, data)
    value = data[key]
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        number = int(value)
    if number is None or number < 0:
        errors[key].append(tk._("Enter a whole number of zero or more."))
        raise tk.StopOnError
    data[key] = str(number)


def tjportal_int_output(value: Any) -> Any:
    """Return a stored whole number as an int, so the API shows a number."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def tjportal_phone(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
    context: Context,
) -> None:
    """Accept a phone number written with digits, spaces, '+', '-' or brackets."""
    _drop_if_empty(key, data)
    value = str(data[key]).strip()
    if not _PHONE_PATTERN.match(value):
        errors[key].append(
            tk._('Phone number "{value}" is not valid. Use digits, spaces, '
                 '"+", "-" or brackets, for example 022-12345678.').format(
                     value=value)
        )
        raise tk.StopOnError
    data[key] = value


def tjportal_http_url(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
    context: Context,
) -> None:
    """Accept an absolute http or https address."""
    _drop_if_empty(key, data)
    value = str(data[key]).strip()
    if not _URL_PATTERN.match(value):
        errors[key].append(
            tk._('Address "{value}" is not a valid web address. Enter an '
                 "address that starts with http:// or https://.").format(
                     value=value)
        )
        raise tk.StopOnError
    data[key] = value


def tjportal_resource_identifier_unique(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict,
    context: Context,
) -> None:
    """Reject a resource identifier that another active dataset already uses.

    The check covers every dataset type, because data services and datasets
    share one identifier space.
    """
    _drop_if_empty(key, data)
    value = str(data[key]).strip()
    data[key] = value

    package = context.get("package")
    package_id = package.id if package is not None else data.get(
        key[:-1] + ("id",))
    # CKAN 2.12 keeps extras in the JSONB column package.extras.
    query = (
        model.Session.query(model.Package.name, model.Package.title)
        .filter(model.Package.extras[key[-1]].astext == value)
        .filter(model.Package.state != model.State.DELETED)
    )
    if package_id and package_id is not tk.missing:
        query = query.filter(model.Package.id != package_id)
    other = query.first()
    if other is not None:
        errors[key].append(
            tk._('Resource identifier "{identifier}" is already used by '
                 'dataset "{title}" ({name}).').format(
                     identifier=value, title=other.title or other.name,
                     name=other.name)
        )
        raise tk.StopOnError
