"""Schemas of the download actions."""
from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator


@validator_args
def tjportal_download_stats_schema(
    not_empty: Validator,
    unicode_safe: Validator,
    package_id_or_name_exists: Validator,
) -> Schema:
    return {"id": [not_empty, unicode_safe, package_id_or_name_exists]}
