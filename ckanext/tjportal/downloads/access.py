"""The rule for dumps of a data service's DataStore table.

Resources of datasets (数据集) may be downloaded by anyone who can read the
dataset. Bulk dumps of data services (数据接口) follow the token rule of their
API (``ckanext.tjportal.dataservice.require_token``), which the
``tjportal_developer`` plugin enforces on ``datastore.dump`` with a hook of
its own, counting each dump against the developer's daily quota.

TODO: ``check_dataservice_dump`` is the fallback for sites without
``tjportal_developer``. Replace it with a public check from that plugin
once it exposes one, so the two plugins share one implementation.
"""
from __future__ import annotations

import logging
from typing import Optional

import ckan.authz as authz
import ckan.model as model
import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.datastore.backend import DatastoreBackend

log = logging.getLogger(__name__)

DATASERVICE_TYPE = "dataservice"
REQUIRE_TOKEN_OPTION = "ckanext.tjportal.dataservice.require_token"

# Roles of an organization that publish its data services and so may dump
# them, as in the developer plugin's rule.
DEPARTMENT_ROLES = ("admin", "editor")


def resource_and_package(resource_id: str) -> tuple[Optional[model.Resource], Optional[model.Package]]:
    """Return the active resource with this id or DataStore alias and its
    dataset, or (None, None)."""
    resource = model.Resource.get(resource_id)
    if resource is None:
        exists, real_id = DatastoreBackend.get_active_backend().resource_id_from_alias(resource_id)
        resource = model.Resource.get(real_id) if exists and real_id else None
    if resource is None or resource.state != "active" or resource.package is None:
        return None, None
    return resource, resource.package


def check_dataservice_dump(resource_id: str) -> None:
    """Abort with 403 when the token rule forbids this dump.

    With ``tjportal_developer`` loaded, its own hook has already admitted the
    request, so nothing is left to check here. Without it no developer token
    can be issued, so only sysadmins and the department's editors and admins
    may dump data services while the rule is on.
    """
    if p.plugin_loaded("tjportal_developer"):
        return
    # The option is declared by tjportal_developer, so it may be undeclared
    # here; the rule is then on, as the option's default is.
    require_token = tk.config.get(REQUIRE_TOKEN_OPTION)
    if require_token is not None and not tk.asbool(require_token):
        return
    _, package = resource_and_package(resource_id)
    if package is None or package.type != DATASERVICE_TYPE:
        return
    user = tk.current_user
    if user.is_authenticated:
        if authz.is_sysadmin(user.name):
            return
        if package.owner_org and authz.users_role_for_group_or_org(
                package.owner_org, user.name) in DEPARTMENT_ROLES:
            return
    log.debug("Refused a dump of data service resource %s", resource_id)
    tk.abort(403, tk._(
        "Bulk downloads of data services require an approved developer's API "
        "token, and developer registration is not enabled on this site."))
