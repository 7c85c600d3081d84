"""The ``tjportal_downloads`` plugin: DataStore downloads in CSV, TSV, JSON,
XML and XLSX, download counts, and checks of uploaded tables before
ckanext-xloader loads them into the DataStore."""
from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig
from ckan.types import Context

from ckanext.tjportal.downloads import dump, uploads
from ckanext.tjportal.translation import TjportalTranslation
from ckanext.xloader.interfaces import IXloader


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.helpers
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
class TjportalDownloadsPlugin(TjportalTranslation, p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IMiddleware, inherit=True)
    p.implements(p.IResourceController, inherit=True)
    p.implements(p.ITranslation)
    p.implements(IXloader, inherit=True)

    # IConfigurer

    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")

    # IMiddleware

    def make_middleware(self, app: Any, config: CKANConfig) -> Any:
        dump.install(app)
        return app

    # IResourceController

    def before_resource_create(self, context: Context, resource: dict[str, Any]) -> None:
        if tk.config.get("ckanext.tjportal.downloads.convert_uploads"):
            uploads.normalize_upload(resource)

    def before_resource_update(
        self, context: Context, current: dict[str, Any], resource: dict[str, Any]
    ) -> None:
        if tk.config.get("ckanext.tjportal.downloads.convert_uploads"):
            uploads.normalize_upload(resource)

    # IXloader

    def can_upload(self, resource_id: str) -> bool:
        if not tk.config.get("ckanext.tjportal.downloads.load_uploads_only"):
            return True
        return uploads.is_uploaded_file(resource_id)
