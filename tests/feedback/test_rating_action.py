"""Tests of the rating actions: create, update, delete, hide, list, summary,
the search index fields, permissions and bad input."""
from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .helpers import PLUGINS, as_user, scores

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]


def _rate(user, package, **fields):
    return call_action(
        "tjportal_rating_create", context=as_user(user), package_id=package["id"], **scores(**fields)
    )


def _search(**params):
    return call_action("package_search", context={"ignore_auth": True}, **params)


class TestRatingCreate:
    def test_rating_stored_with_average(self, catalogue):
        user = factories.User()
        rating = _rate(user, catalogue["dataset"], comment="数据很准确")
        assert rating["accuracy"] == 5
        assert rating["usability"] == 4
        assert rating["average"] == 4.0
        assert rating["comment"] == "数据很准确"
        assert rating["user_name"] == user["name"]

    def test_second_rating_updates_first(self, catalogue):
        user = factories.User()
        first = _rate(user, catalogue["dataset"])
        second = _rate(user, catalogue["dataset"], accuracy=1, comment="更新后")
        assert second["id"] == first["id"]
        summary = call_action("tjportal_rating_summary_show", package_id=catalogue["dataset"]["id"])
        assert summary["count"] == 1
        assert summary["accuracy"] == 1.0

    def test_scores_accepted_as_text(self, catalogue):
        rating = _rate(factories.User(), catalogue["service"], accuracy="2", usability=" 5 ")
        assert rating["accuracy"] == 2
        assert rating["usability"] == 5

    @pytest.mark.parametrize("bad", [0, 6, "abc", "", "3.5", None])
    def test_bad_score_rejected(self, catalogue, bad):
        with pytest.raises(tk.ValidationError) as error:
            _rate(factories.User(), catalogue["dataset"], timeliness=bad)
        assert "timeliness" in error.value.error_dict

    def test_long_comment_rejected(self, catalogue):
        with pytest.raises(tk.ValidationError) as error:
            _rate(factories.User(), catalogue["dataset"], comment="评" * 501)
        assert "at most 500 characters" in str(error.value.error_dict["comment"])

    def test_unknown_dataset_not_found(self, catalogue):
        with pytest.raises(tk.ObjectNotFound):
            _rate(factories.User(), {"id": "no-such-dataset"})

    def test_anonymous_refused(self, catalogue):
        with pytest.raises(tk.NotAuthorized):
            call_action("tjportal_rating_create", context=as_user(),
                        package_id=catalogue["dataset"]["id"], **scores())

    def test_private_dataset_needs_read_access(self, catalogue):
        with pytest.raises(tk.NotAuthorized):
            _rate(catalogue["other_editor"], catalogue["private"])
        rating = _rate(catalogue["member"], catalogue["private"])
        assert rating["package_id"] == catalogue["private"]["id"]


class TestRatingSummaryAndIndex:
    def test_summary_averages_all_ratings(self, catalogue):
        _rate(factories.User(), catalogue["dataset"], accuracy=5, satisfaction=5, timeliness=5, usability=5)
        _rate(factories.User(), catalogue["dataset"], accuracy=2, satisfaction=3, timeliness=1, usability=2)
        summary = call_action("tjportal_rating_summary_show", package_id=catalogue["dataset"]["name"])
        assert summary["count"] == 2
        assert summary["accuracy"] == 3.5
        assert summary["timeliness"] == 3.0
        assert summary["average"] == 3.5

    def test_summary_of_unrated_dataset(self, catalogue):
        summary = call_action("tjportal_rating_summary_show", package_id=catalogue["dataset"]["id"])
        assert summary["count"] == 0
        assert summary["average"] is None

    def test_search_sorts_by_average(self, catalogue):
        _rate(factories.User(), catalogue["dataset"], accuracy=1, satisfaction=1, timeliness=1, usability=1)
        _rate(factories.User(), catalogue["service"], accuracy=5, satisfaction=5, timeliness=5, usability=4)
        result = _search(q="*:*", sort="rating_average desc", include_private=False)
        names = [package["name"] for package in result["results"]]
        assert names[:2] == ["bus-lines", "bus-stops"]
        ascending = _search(q="*:*", sort="rating_average asc")
        assert [package["name"] for package in ascending["results"]][:2] == ["bus-stops", "bus-lines"]

    def test_search_results_carry_average(self, catalogue):
        _rate(factories.User(), catalogue["service"], accuracy=5, satisfaction=4, timeliness=4, usability=3)
        result = _search(q="name:bus-lines")
        assert result["results"][0]["rating_average"] == 4.0
        assert result["results"][0]["rating_count"] == 1

    def test_index_follows_delete(self, catalogue):
        user = factories.User()
        _rate(user, catalogue["dataset"])
        assert _search(fq="rating_count:1")["count"] == 1
        call_action("tjportal_rating_delete", context=as_user(user), package_id=catalogue["dataset"]["id"])
        assert _search(fq="rating_count:1")["count"] == 0

    def test_ratings_kept_after_dataset_deleted(self, catalogue):
        user = factories.User()
        _rate(user, catalogue["dataset"], comment="保留")
        call_action("package_delete", context=as_user(catalogue["sysadmin"]), id=catalogue["dataset"]["id"])
        mine = call_action("tjportal_rating_list", context=as_user(user))
        assert mine["count"] == 1
        assert mine["results"][0]["comment"] == "保留"


class TestRatingDelete:
    def test_owner_deletes_rating(self, catalogue):
        user = factories.User()
        rating = _rate(user, catalogue["dataset"])
        call_action("tjportal_rating_delete", context=as_user(user), id=rating["id"])
        assert call_action("tjportal_rating_list", context=as_user(user))["count"] == 0

    def test_other_user_cannot_delete(self, catalogue):
        rating = _rate(factories.User(), catalogue["dataset"])
        with pytest.raises(tk.NotAuthorized):
            call_action("tjportal_rating_delete", context=as_user(catalogue["admin"]), id=rating["id"])

    def test_unknown_rating_not_found(self, catalogue):
        with pytest.raises(tk.ObjectNotFound):
            call_action("tjportal_rating_delete", context=as_user(factories.User()), id="nope")


class TestRatingHide:
    def _commented(self, catalogue):
        author = factories.User()
        return author, _rate(author, catalogue["dataset"], comment="辱骂内容")

    def _comments(self, catalogue, user=None):
        context = as_user(user)
        return call_action("tjportal_rating_list", context=context,
                           package_id=catalogue["dataset"]["id"], with_comment=True)["results"]

    def test_department_admin_hides_comment(self, catalogue):
        author, rating = self._commented(catalogue)
        hidden = call_action("tjportal_rating_hide", context=as_user(catalogue["admin"]), id=rating["id"])
        assert hidden["comment_hidden"] is True
        assert self._comments(catalogue) == []
        # The rating and its scores stay.
        assert call_action("tjportal_rating_summary_show", package_id=catalogue["dataset"]["id"])["count"] == 1
        # The author still gets the comment, marked hidden.
        own = call_action("tjportal_rating_show", context=as_user(author),
                          package_id=catalogue["dataset"]["id"])
        assert own["comment"] == "辱骂内容"
        assert own["comment_hidden"] is True

    def test_sysadmin_hides_and_shows_again(self, catalogue):
        _, rating = self._commented(catalogue)
        context = as_user(catalogue["sysadmin"])
        call_action("tjportal_rating_hide", context=context, id=rating["id"])
        shown = call_action("tjportal_rating_hide", context=context, id=rating["id"], hidden=False)
        assert shown["comment_hidden"] is False
        assert [item["comment"] for item in self._comments(catalogue)] == ["辱骂内容"]

    @pytest.mark.parametrize("role", ["editor", "member", "other_editor"])
    def test_others_cannot_hide(self, catalogue, role):
        _, rating = self._commented(catalogue)
        with pytest.raises(tk.NotAuthorized):
            call_action("tjportal_rating_hide", context=as_user(catalogue[role]), id=rating["id"])

    def test_anonymous_cannot_hide(self, catalogue):
        _, rating = self._commented(catalogue)
        with pytest.raises(tk.NotAuthorized):
            call_action("tjportal_rating_hide", context=as_user(), id=rating["id"])


class TestRatingList:
    def test_private_dataset_ratings_hidden_from_outsiders(self, catalogue):
        _rate(catalogue["member"], catalogue["private"], comment="内部")
        for user in (None, catalogue["other_editor"]):
            with pytest.raises(tk.NotAuthorized):
                call_action("tjportal_rating_list", context=as_user(user),
                            package_id=catalogue["private"]["id"])
            with pytest.raises(tk.NotAuthorized):
                call_action("tjportal_rating_summary_show", context=as_user(user),
                            package_id=catalogue["private"]["id"])

    def test_other_users_ratings_not_listed(self, catalogue):
        author = factories.User()
        _rate(author, catalogue["dataset"])
        with pytest.raises(tk.NotAuthorized):
            call_action("tjportal_rating_list", context=as_user(factories.User()), user=author["name"])
