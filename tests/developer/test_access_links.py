"""Department staff and sysadmins reach the access-application inboxes from menus."""
from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories

PLUGINS = "tjportal tjportal_search scheming_datasets datastore tjportal_developer"

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]


def test_department_editor_sees_inbox_tab(app):
    editor = factories.UserWithToken()
    department = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    inbox = tk.url_for("tjportal_developer_access.inbox", org=department["name"])

    response = app.get(tk.url_for("organization.read", id=department["name"]),
                       headers={"Authorization": editor["token"]})

    assert inbox in response.body
    assert "数据申请" in response.body


def test_other_user_sees_no_inbox_tab(app):
    outsider = factories.UserWithToken()
    department = factories.Organization()
    inbox = tk.url_for("tjportal_developer_access.inbox", org=department["name"])

    response = app.get(tk.url_for("organization.read", id=department["name"]),
                       headers={"Authorization": outsider["token"]})

    assert inbox not in response.body


def test_sysadmin_menu_links_overview(app):
    sysadmin = factories.SysadminWithToken()

    response = app.get(tk.url_for("admin.index"), headers={"Authorization": sysadmin["token"]})

    assert tk.url_for("tjportal_developer_access.overview") in response.body
