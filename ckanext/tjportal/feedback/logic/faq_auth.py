"""Auth functions of the FAQ actions. Sysadmins never reach them, so the
managing actions are rejected for everyone else."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

__all__ = ["tjportal_faq_create", "tjportal_faq_update", "tjportal_faq_delete", "tjportal_faq_show", "tjportal_faq_list"]


def _sysadmin_only() -> AuthResult:
    return {"success": False, "msg": tk._("Only sysadmins may manage the FAQ.")}


def tjportal_faq_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only()


def tjportal_faq_update(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only()


def tjportal_faq_delete(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only()


@tk.auth_allow_anonymous_access
def tjportal_faq_show(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@tk.auth_allow_anonymous_access
def tjportal_faq_list(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}
