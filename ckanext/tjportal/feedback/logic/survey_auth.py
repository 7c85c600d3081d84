"""Auth functions of the survey actions. Sysadmins never reach them, so the
managing actions are rejected for everyone else."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.tjportal.feedback.logic.lookup import context_user

__all__ = [
    "tjportal_survey_create",
    "tjportal_survey_update",
    "tjportal_survey_close",
    "tjportal_survey_delete",
    "tjportal_survey_show",
    "tjportal_survey_list",
    "tjportal_survey_answer",
    "tjportal_survey_results",
    "tjportal_survey_export",
]


def _sysadmin_only() -> AuthResult:
    return {"success": False, "msg": tk._("Only sysadmins may manage surveys and see their answers.")}


def tjportal_survey_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only()


def tjportal_survey_update(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only()


def tjportal_survey_close(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only()


def tjportal_survey_delete(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only()


def tjportal_survey_results(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only()


def tjportal_survey_export(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only()


@tk.auth_allow_anonymous_access
def tjportal_survey_show(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@tk.auth_allow_anonymous_access
def tjportal_survey_list(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


def tjportal_survey_answer(context: Context, data_dict: DataDict) -> AuthResult:
    if context_user(context) is None:
        return {"success": False, "msg": tk._("Log in to answer surveys.")}
    return {"success": True}
