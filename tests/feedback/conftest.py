"""Fixtures of the feedback plugin's tests: two departments with their
staff, public and private datasets, and a clean Redis."""
from __future__ import annotations

import email
import email.policy
import socket
from typing import Any

import pytest
from aiosmtpd.controller import Controller

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories
from ckan.tests.helpers import call_action


@pytest.fixture
def clean_redis():
    """Delete this site's feedback keys from the test Redis database."""
    redis = connect_to_redis()
    pattern = "{}:tjportal_feedback:*".format(tk.config["ckan.site_id"])
    for key in redis.scan_iter(match=pattern):
        redis.delete(key)
    yield redis


def _package(department: dict[str, Any], topic: dict[str, Any], name: str, **fields: Any) -> dict[str, Any]:
    data = {
        "type": "dataset",
        "name": name,
        "title": "公交站点",
        "owner_org": department["id"],
        "groups": [{"name": topic["name"]}],
        "update_frequency": "daily",
        "open_condition": "unconditional",
        "publish_date": "2024-01-01",
        "update_date": "2026-11-01",
    }
    data.update(fields)
    return call_action("package_create", context={"user": factories.Sysadmin()["name"]}, **data)


@pytest.fixture
def catalogue(clean_redis):
    """A department with an admin, an editor and a member; another
    department with an editor; two public datasets, a data service and a
    private dataset of the first department."""
    admin = factories.UserWithToken()
    editor = factories.UserWithToken()
    member = factories.UserWithToken()
    other_editor = factories.UserWithToken()
    department = factories.Organization(
        name="tj-transport",
        title="天津市交通运输委员会",
        users=[
            {"name": admin["name"], "capacity": "admin"},
            {"name": editor["name"], "capacity": "editor"},
            {"name": member["name"], "capacity": "member"},
        ],
    )
    other = factories.Organization(
        name="tj-health", title="天津市卫生健康委员会",
        users=[{"name": other_editor["name"], "capacity": "editor"}],
    )
    topic = factories.Group(name="transport", title="交通出行")
    return {
        "department": department,
        "other_department": other,
        "admin": admin,
        "editor": editor,
        "member": member,
        "other_editor": other_editor,
        "dataset": _package(department, topic, "bus-stops", title="公交站点"),
        "service": _package(department, topic, "bus-lines", type="dataservice", title="公交线路查询接口"),
        "extra": _package(department, topic, "bus-fares", title="公交票价"),
        "private": _package(department, topic, "bus-drivers", title="驾驶员名单", private=True),
        "sysadmin": factories.SysadminWithToken(),
    }


class _Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(ckan_config, monkeypatch):
    """A local SMTP server on 127.0.0.1 that CKAN's mailer sends to; yields
    the list of received messages."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(ckan_config, "smtp.server", "127.0.0.1:{}".format(port))
    monkeypatch.setitem(ckan_config, "smtp.starttls", False)
    try:
        yield inbox.messages
    finally:
        controller.stop()
