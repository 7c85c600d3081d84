"""Tests of the developer actions: registration, review, tokens and usage."""
from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.tjportal.developer import metering

from .helpers import PLUGINS, credit_code, registration

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_redis"),
]

# A widely published example code, and codes completed with the
# check character computed in the test helpers.
VALID_CODES = [
    "91350100M000100Y43",
    credit_code("91120116MA05J1234"),
    credit_code("12120000405926735"),
    credit_code("Y1120101MA0000001"),
    credit_code("91120000103071899"),
]


def _token_ids(user_name: str) -> list[str]:
    return [token["id"] for token in call_action("api_token_list", context={"user": user_name}, user_id=user_name)]


class TestDeveloperRegister:
    def test_auto_approve_issues_token(self):
        user = factories.User()
        result = call_action("tjportal_developer_register", context={"user": user["name"]}, **registration())
        assert result["state"] == "approved"
        assert result["token"]
        assert result["has_token"] is True
        tokens = call_action("api_token_list", context={"user": user["name"]}, user_id=user["name"])
        assert [token["name"] for token in tokens] == ["tjportal-developer"]

    @pytest.mark.ckan_config("ckanext.tjportal.developer.auto_approve", "false")
    def test_review_leaves_registration_pending(self):
        user = factories.User()
        result = call_action("tjportal_developer_register", context={"user": user["name"]}, **registration())
        assert result["state"] == "pending"
        assert "token" not in result
        assert _token_ids(user["name"]) == []

    def test_second_registration_conflicts(self, developer):
        with pytest.raises(tk.ValidationError) as error:
            call_action("tjportal_developer_register", context={"user": developer["user"]["name"]},
                        **registration(name="另一个名字"))
        assert "already registered" in error.value.error_dict["user"][0]
        shown = call_action("tjportal_developer_show", context={"user": developer["user"]["name"]})
        assert shown["name"] == "海河数据工作室"

    @pytest.mark.parametrize("code", VALID_CODES)
    def test_enterprise_valid_credit_code(self, code):
        user = factories.User()
        result = call_action(
            "tjportal_developer_register", context={"user": user["name"]},
            **registration(kind="enterprise", organization_name="天津某科技有限公司", credit_code=code.lower()),
        )
        assert result["credit_code"] == code
        assert result["organization_name"] == "天津某科技有限公司"

    @pytest.mark.parametrize("code", VALID_CODES)
    def test_credit_code_wrong_check_character(self, code):
        wrong = code[:17] + next(c for c in "0123456789" if c != code[17])
        user = factories.User()
        with pytest.raises(tk.ValidationError) as error:
            call_action("tjportal_developer_register", context={"user": user["name"]},
                        **registration(kind="enterprise", organization_name="某公司", credit_code=wrong))
        assert "check character" in error.value.error_dict["credit_code"][0]

    @pytest.mark.parametrize("code, message", [
        ("91120000103071", "18 characters"),
        ("91120000I0307189O", "18 characters"),
        ("9112000010307189IO", "cannot contain: I O"),
    ])
    def test_credit_code_malformed(self, code, message):
        user = factories.User()
        with pytest.raises(tk.ValidationError) as error:
            call_action("tjportal_developer_register", context={"user": user["name"]},
                        **registration(kind="enterprise", organization_name="某公司", credit_code=code))
        assert message in error.value.error_dict["credit_code"][0]

    def test_enterprise_requires_organization_and_code(self):
        user = factories.User()
        with pytest.raises(tk.ValidationError) as error:
            call_action("tjportal_developer_register", context={"user": user["name"]},
                        **registration(kind="enterprise"))
        assert set(error.value.error_dict) == {"organization_name", "credit_code"}

    def test_individual_drops_enterprise_fields(self):
        user = factories.User()
        result = call_action("tjportal_developer_register", context={"user": user["name"]},
                             **registration(organization_name="某公司", credit_code="bogus"))
        assert result["organization_name"] is None
        assert result["credit_code"] is None

    @pytest.mark.parametrize("field, value, message", [
        ("mobile", "23812345678", "mainland mobile number"),
        ("mobile", "1381234567", "mainland mobile number"),
        ("email", "not-an-email", "Email"),
        ("kind", "government", "individual or enterprise"),
        ("purpose", "用" * 501, "at most 500 characters"),
        ("name", "", "Missing value"),
    ])
    def test_invalid_field(self, field, value, message):
        user = factories.User()
        with pytest.raises(tk.ValidationError) as error:
            call_action("tjportal_developer_register", context={"user": user["name"]},
                        **registration(**{field: value}))
        assert message in " ".join(error.value.error_dict[field])
        assert model.Session.query(model.User).filter_by(name=user["name"]).one()

    def test_mobile_normalised(self):
        user = factories.User()
        result = call_action("tjportal_developer_register", context={"user": user["name"]},
                             **registration(mobile="+86 138-1234-5678"))
        assert result["mobile"] == "13812345678"

    @pytest.mark.ckan_config("ckanext.tjportal.developer.purpose_max_length", "10")
    def test_purpose_length_configurable(self):
        user = factories.User()
        with pytest.raises(tk.ValidationError) as error:
            call_action("tjportal_developer_register", context={"user": user["name"]},
                        **registration(purpose="一二三四五六七八九十一"))
        assert "at most 10 characters" in error.value.error_dict["purpose"][0]


@pytest.mark.ckan_config("ckanext.tjportal.developer.auto_approve", "false")
class TestDeveloperReview:
    def _pending(self):
        user = factories.User()
        developer = call_action("tjportal_developer_register", context={"user": user["name"]}, **registration())
        return user, developer

    def test_approve_then_issue_token(self):
        user, developer = self._pending()
        sysadmin = factories.Sysadmin()
        approved = call_action("tjportal_developer_approve", context={"user": sysadmin["name"]}, id=developer["id"])
        assert approved["state"] == "approved"
        assert approved["has_token"] is False
        issued = call_action("tjportal_developer_token_issue", context={"user": user["name"]})
        assert issued["token"]
        assert len(_token_ids(user["name"])) == 1

    def test_reject_requires_reason(self):
        _, developer = self._pending()
        sysadmin = factories.Sysadmin()
        with pytest.raises(tk.ValidationError) as error:
            call_action("tjportal_developer_reject", context={"user": sysadmin["name"]}, id=developer["id"])
        assert "reason" in error.value.error_dict

    def test_rejected_user_registers_again(self):
        user, developer = self._pending()
        sysadmin = factories.Sysadmin()
        rejected = call_action("tjportal_developer_reject", context={"user": sysadmin["name"]},
                               id=developer["id"], reason="用途描述不清楚")
        assert rejected["state"] == "rejected"
        assert rejected["reject_reason"] == "用途描述不清楚"
        again = call_action("tjportal_developer_register", context={"user": user["name"]},
                            **registration(purpose="用于城市交通研究"))
        assert again["id"] == developer["id"]
        assert again["state"] == "pending"
        assert again["reject_reason"] is None

    def test_token_for_pending_developer_refused(self):
        user, _ = self._pending()
        with pytest.raises(tk.ValidationError) as error:
            call_action("tjportal_developer_token_issue", context={"user": user["name"]})
        assert "pending" in error.value.error_dict["state"][0]

    def test_approve_twice_conflicts(self):
        _, developer = self._pending()
        sysadmin = factories.Sysadmin()
        call_action("tjportal_developer_approve", context={"user": sysadmin["name"]}, id=developer["id"])
        with pytest.raises(tk.ValidationError) as error:
            call_action("tjportal_developer_approve", context={"user": sysadmin["name"]}, id=developer["id"])
        assert "approved" in error.value.error_dict["state"][0]

    def test_list_filters_by_state(self):
        self._pending()
        _, second = self._pending()
        sysadmin = factories.Sysadmin()
        call_action("tjportal_developer_approve", context={"user": sysadmin["name"]}, id=second["id"])
        pending = call_action("tjportal_developer_list", context={"user": sysadmin["name"]}, state="pending")
        assert pending["count"] == 1
        everything = call_action("tjportal_developer_list", context={"user": sysadmin["name"]})
        assert everything["count"] == 2
        assert everything["results"][0]["email"] == "dev@example.com"

    def test_unknown_developer_not_found(self):
        sysadmin = factories.Sysadmin()
        with pytest.raises(tk.ObjectNotFound):
            call_action("tjportal_developer_approve", context={"user": sysadmin["name"]}, id="no-such-id")


class TestDeveloperToken:
    def test_regenerate_revokes_previous(self, developer):
        name = developer["user"]["name"]
        before = _token_ids(name)
        issued = call_action("tjportal_developer_token_issue", context={"user": name})
        after = _token_ids(name)
        assert issued["token"] != developer["token"]
        assert len(after) == 1
        assert after != before

    def test_token_revoke_keeps_registration(self, developer):
        name = developer["user"]["name"]
        result = call_action("tjportal_developer_token_revoke", context={"user": name})
        assert result["state"] == "approved"
        assert result["has_token"] is False
        assert _token_ids(name) == []

    def test_revoking_developer_revokes_token(self, developer):
        sysadmin = factories.Sysadmin()
        result = call_action("tjportal_developer_revoke", context={"user": sysadmin["name"]},
                             id=developer["developer"]["id"])
        assert result["state"] == "revoked"
        assert _token_ids(developer["user"]["name"]) == []
        with pytest.raises(tk.ValidationError):
            call_action("tjportal_developer_token_issue", context={"user": developer["user"]["name"]})

    def test_personal_tokens_untouched(self, developer):
        name = developer["user"]["name"]
        call_action("api_token_create", context={"user": name}, user=name, name="personal")
        call_action("tjportal_developer_token_issue", context={"user": name})
        names = sorted(token["name"] for token in
                       call_action("api_token_list", context={"user": name}, user_id=name))
        assert names == ["personal", "tjportal-developer"]


class TestMigration:
    def test_downgrade_and_upgrade(self, migrate_db_for):
        def inspector():
            return sa.inspect(model.Session.get_bind())

        model.Session.remove()
        migrate_db_for("tjportal_developer", "base", forward=False)
        assert not inspector().has_table("tjportal_developer")
        assert not inspector().has_table("tjportal_developer_usage")

        migrate_db_for("tjportal_developer")
        assert inspector().has_table("tjportal_developer")
        assert inspector().has_table("tjportal_developer_usage")


class TestDeveloperUsageList:
    def test_days_limits_range(self, developer):
        today = metering.quota_day()
        metering.record_usage(developer["developer"]["id"], ["resource-a"], today)
        metering.record_usage(developer["developer"]["id"], ["resource-a"], today - datetime.timedelta(days=3))
        context = {"user": developer["user"]["name"]}
        recent = call_action("tjportal_developer_usage_list", context=context, days=2)
        assert [row["day"] for row in recent["usage"]] == [today.isoformat()]
        everything = call_action("tjportal_developer_usage_list", context=context)
        assert len(everything["usage"]) == 2
        assert everything["usage"][1]["resource_name"] is None

    def test_flush_keeps_counts(self, developer):
        developer_id = developer["developer"]["id"]
        today = metering.quota_day()
        metering.record_usage(developer_id, ["resource-a", "resource-b"], today)
        sysadmin = factories.Sysadmin()
        assert call_action("tjportal_developer_usage_flush", context={"user": sysadmin["name"]}) == {"rows": 2}
        metering.record_usage(developer_id, ["resource-a"], today)
        assert call_action("tjportal_developer_usage_flush", context={"user": sysadmin["name"]}) == {"rows": 1}
        usage = call_action("tjportal_developer_usage_list", context={"user": developer["user"]["name"]})
        calls = {row["resource_id"]: row["calls"] for row in usage["usage"]}
        assert calls == {"resource-a": 2, "resource-b": 1}

    def test_flush_refused_to_users(self, developer):
        with pytest.raises(tk.NotAuthorized):
            call_action("tjportal_developer_usage_flush",
                        context={"user": developer["user"]["name"], "ignore_auth": False})
