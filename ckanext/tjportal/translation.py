"""The one gettext catalogue shared by every tjportal plugin."""
from __future__ import annotations

import os

from ckan.lib.plugins import DefaultTranslation

I18N_DIRECTORY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "i18n")
I18N_DOMAIN = "ckanext-tjportal"


class TjportalTranslation(DefaultTranslation):
    """ITranslation mixin that points every plugin at ``i18n/ckanext-tjportal``."""

    def i18n_directory(self) -> str:
        return I18N_DIRECTORY

    def i18n_domain(self) -> str:
        return I18N_DOMAIN
