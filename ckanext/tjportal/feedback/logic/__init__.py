"""Actions and auth functions of the feedback plugin, one module per kind
of feedback."""
from __future__ import annotations

import types
from typing import Any, Callable

from ckanext.tjportal.feedback.logic import (
    action, auth, faq, faq_auth, report, report_auth, suggestion, suggestion_auth, survey, survey_auth,
)


def _listed(*modules: types.ModuleType) -> dict[str, Callable[..., Any]]:
    return {name: getattr(module, name) for module in modules for name in module.__all__}


def get_actions() -> dict[str, Callable[..., Any]]:
    return _listed(action, report, suggestion, faq, survey)


def get_auth_functions() -> dict[str, Callable[..., Any]]:
    return _listed(auth, report_auth, suggestion_auth, faq_auth, survey_auth)
