"""Test data shared by the developer plugin's tests."""
from __future__ import annotations

from typing import Any

PLUGINS = "tjportal tjportal_search scheming_datasets datastore tjportal_developer"
RECORDS = 30

# GB 32100-2015 check character, computed here independently of the plugin.
CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_code(first17: str) -> str:
    """Complete 17 characters into a valid unified social credit code."""
    weights = [pow(3, position, 31) for position in range(17)]
    total = sum(CODE_CHARACTERS.index(character) * weight for character, weight in zip(first17, weights))
    return first17 + CODE_CHARACTERS[(31 - total % 31) % 31]


def registration(**fields: Any) -> dict[str, Any]:
    data = {
        "name": "海河数据工作室",
        "kind": "individual",
        "email": "dev@example.com",
        "mobile": "13812345678",
        "purpose": "开发公交出行查询小程序",
    }
    data.update(fields)
    return data
