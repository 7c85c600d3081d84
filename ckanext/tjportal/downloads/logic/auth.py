"""Auth functions of the download actions."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict


@tk.auth_allow_anonymous_access
def tjportal_download_stats(context: Context, data_dict: DataDict) -> AuthResult:
    """Anyone who may read the dataset may read its download counts."""
    try:
        tk.check_access("package_show", context, {"id": data_dict.get("id")})
    except tk.NotAuthorized:
        return {"success": False, "msg": tk._("Not authorized to read this dataset's downloads.")}
    return {"success": True}


def tjportal_download_count_flush(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": False, "msg": tk._("Only sysadmins may flush download counts.")}
