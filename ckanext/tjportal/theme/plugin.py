"""The ``tjportal`` plugin: theme, schemas, facets, helpers and the CLI."""
from __future__ import annotations

import pathlib
from typing import Any

import yaml

from ckan.authz import get_local_functions
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig
from ckan.config.declaration import Declaration, Key

from ckanext.tjportal import csrf
from ckanext.tjportal.theme import facets, helpers
from ckanext.tjportal.theme.logic import topics
from ckanext.tjportal.translation import TjportalTranslation

# Core options whose defaults the portal changes. A value set in the ini
# file still wins, because CKAN only fills in defaults for missing options.
PORTAL_CORE_DEFAULTS = {
    "ckan.locale_default": "zh_Hans_CN",
    "ckan.locales_offered": ["zh_Hans_CN", "en"],
    "ckan.site_title": "天津市信息资源统一开放平台",
    # No logo, so the header shows the site title as text.
    "ckan.site_logo": "",
    # /dataset lists datasets only, because data services have their own page.
    "ckan.search.show_all_types": "false",
    # User pictures from CKAN's own files: Gravatar is an outside host that
    # an offline portal, or a browser in mainland China, often cannot reach.
    "ckan.gravatar_default": "disabled",
}


def declare_options(declaration: Declaration, key: Key) -> None:
    """Declare the theme's options and set the portal's core defaults.

    The scheming options are declared in the same file, so their defaults
    are in place before scheming's update_config reads them. CKAN 2.12 calls
    update_config in reverse plugin order, so ours would run too late.
    """
    source = pathlib.Path(__file__).with_name("config_declaration.yaml")
    with source.open("rb") as stream:
        declaration.load_dict(yaml.safe_load(stream))
    # `ckan config declaration tjportal` loads the plugin without core, so
    # the core options may be missing here.
    for name, default in PORTAL_CORE_DEFAULTS.items():
        option = declaration.get(name)
        if option is not None:
            option.set_default(default)


def template_helpers() -> dict[str, Any]:
    """Return the public functions of helpers.py plus the schemas' topic choices.

    The topics field of the scheming schemas names ``tjportal_topic_choices``
    as its ``choices_helper``.
    """
    found = dict(get_local_functions(helpers))
    found["tjportal_topic_choices"] = topics.topic_choices
    return found


@tk.blanket.helpers(template_helpers)
@tk.blanket.validators
@tk.blanket.cli
@tk.blanket.config_declarations(declare_options)
class TjportalPlugin(TjportalTranslation, p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.ITranslation)
    p.implements(p.IMiddleware, inherit=True)

    # IConfigurer

    def update_config(self, config: CKANConfig) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")
        tk.add_resource("assets", "ckanext-tjportal")

    # IMiddleware

    def make_middleware(self, app: Any, config: CKANConfig) -> Any:
        # Runs after CKAN's own before-request handlers, Flask-WTF's CSRF
        # check included, because those are registered earlier.
        app.before_request(csrf.check_exempted_view)
        return app

    # IFacets

    def dataset_facets(
        self, facets_dict: dict[str, Any], package_type: str
    ) -> dict[str, Any]:
        return facets.portal_facets()

    def group_facets(
        self, facets_dict: dict[str, Any], group_type: str, package_type: str | None
    ) -> dict[str, Any]:
        return facets.portal_facets()

    def organization_facets(
        self, facets_dict: dict[str, Any], organization_type: str, package_type: str | None
    ) -> dict[str, Any]:
        return facets.portal_facets()
