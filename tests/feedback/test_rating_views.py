"""Tests of the rating pages: the section on a dataset's page, the form's
targets, 我的评价, escaping, and the submission limit."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from ckan.tests import factories
from ckan.tests.helpers import call_action

from .helpers import PLUGINS, SCRIPT, as_user, headers, scores, url

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]


def _dataset_page(app, package, user=None):
    return app.get(url("{}.read".format(package["type"]), id=package["name"]),
                   headers=headers(user) if user else {})


def _section(response):
    return BeautifulSoup(response.body, "html.parser").find(id="ratings")


class TestDatasetPage:
    def test_anonymous_sees_averages_and_login_link(self, app, catalogue):
        call_action("tjportal_rating_create", context=as_user(catalogue["member"]),
                    package_id=catalogue["dataset"]["id"], comment="很好用", **scores())
        section = _section(_dataset_page(app, catalogue["dataset"]))
        assert "Average 4.0 of 5 from 1 rating" in section.text
        assert "很好用" in section.text
        assert section.find("form", class_="tjportal-rating-form") is None
        assert "Log in to rate this dataset." in section.text

    def test_form_has_csrf_and_scores(self, app, catalogue):
        section = _section(_dataset_page(app, catalogue["service"], factories.UserWithToken()))
        form = section.find("form", class_="tjportal-rating-form")
        assert form.find("input", attrs={"name": "_csrf_token"}) is not None
        for field in ("accuracy", "satisfaction", "timeliness", "usability"):
            assert form.find("select", attrs={"name": field}) is not None

    def test_post_saves_and_prefills_form(self, app, catalogue):
        user = factories.UserWithToken()
        response = app.post(url("tjportal_feedback.rating_save", package_id=catalogue["dataset"]["id"]),
                            data=scores(accuracy=2, comment="再更新"), headers=headers(user))
        assert "Thank you, your rating has been saved." in response.body
        form = _section(response).find("form", class_="tjportal-rating-form")
        selected = form.find("select", attrs={"name": "accuracy"}).find("option", selected=True)
        assert selected["value"] == "2"
        assert form.find("textarea").text == "再更新"

    @pytest.mark.parametrize("bad", ["0", "6", "abc"])
    def test_bad_score_answers_400(self, app, catalogue, bad):
        response = app.post(url("tjportal_feedback.rating_save", package_id=catalogue["dataset"]["id"]),
                            data=scores(satisfaction=bad), headers=headers(factories.UserWithToken()))
        assert response.status_code == 400
        assert "Scores must be whole numbers from 1 to 5" in response.body

    def test_unknown_dataset_answers_404(self, app, catalogue):
        response = app.post(url("tjportal_feedback.rating_save", package_id="no-such-dataset"),
                            data=scores(), headers=headers(factories.UserWithToken()))
        assert response.status_code == 404

    def test_anonymous_post_sent_to_login(self, app, catalogue):
        response = app.post(url("tjportal_feedback.rating_save", package_id=catalogue["dataset"]["id"]),
                            data=scores(), follow_redirects=False)
        assert response.status_code == 302
        assert "/user/login" in response.headers["Location"]
        assert call_action("tjportal_rating_summary_show", package_id=catalogue["dataset"]["id"])["count"] == 0

    def test_private_dataset_outsider_gets_403(self, app, catalogue):
        response = app.post(url("tjportal_feedback.rating_save", package_id=catalogue["private"]["id"]),
                            data=scores(), headers=headers(catalogue["other_editor"]))
        assert response.status_code == 403

    def test_delete_own_rating(self, app, catalogue):
        user = factories.UserWithToken()
        call_action("tjportal_rating_create", context=as_user(user),
                    package_id=catalogue["dataset"]["id"], **scores())
        response = app.post(url("tjportal_feedback.rating_delete", package_id=catalogue["dataset"]["id"]),
                            headers=headers(user))
        assert "Your rating has been deleted." in response.body
        assert "No ratings yet." in _section(response).text

    def test_admin_hides_comment_from_page(self, app, catalogue):
        rating = call_action("tjportal_rating_create", context=as_user(catalogue["member"]),
                             package_id=catalogue["dataset"]["id"], comment="辱骂内容", **scores())
        admin_section = _section(_dataset_page(app, catalogue["dataset"], catalogue["admin"]))
        hide_path = "/feedback/rating/hide/" + rating["id"]
        assert admin_section.find("form", action=lambda action: action and action.endswith(hide_path)) is not None

        app.post(url("tjportal_feedback.rating_hide", id=rating["id"]), data={"hidden": "true"},
                 headers=headers(catalogue["admin"]))
        assert "辱骂内容" not in _section(_dataset_page(app, catalogue["dataset"])).text
        # Moderators still see it, marked hidden.
        assert "辱骂内容" in _section(_dataset_page(app, catalogue["dataset"], catalogue["admin"])).text

    def test_editor_cannot_hide(self, app, catalogue):
        rating = call_action("tjportal_rating_create", context=as_user(catalogue["member"]),
                             package_id=catalogue["dataset"]["id"], comment="评论", **scores())
        response = app.post(url("tjportal_feedback.rating_hide", id=rating["id"]),
                            data={"hidden": "true"}, headers=headers(catalogue["editor"]))
        assert response.status_code == 403
        assert "辱骂" not in _section(_dataset_page(app, catalogue["dataset"])).text
        assert "评论" in _section(_dataset_page(app, catalogue["dataset"])).text


class TestEscaping:
    def test_script_in_comment_and_name_escaped(self, app, catalogue):
        user = factories.UserWithToken(fullname=SCRIPT + "用户")
        call_action("tjportal_rating_create", context=as_user(user),
                    package_id=catalogue["dataset"]["id"], comment=SCRIPT + "评论", **scores())
        pages = [
            _dataset_page(app, catalogue["dataset"]),
            _dataset_page(app, catalogue["dataset"], user),
            _dataset_page(app, catalogue["dataset"], catalogue["admin"]),
            app.get(url("tjportal_feedback.rating_mine"), headers=headers(user)),
        ]
        for response in pages:
            assert SCRIPT not in response.body
            assert "&lt;script&gt;" in response.body


class TestSearchPage:
    def test_result_item_shows_average(self, app, catalogue):
        call_action("tjportal_rating_create", context=as_user(catalogue["member"]),
                    package_id=catalogue["dataset"]["id"], **scores())
        response = app.get(url("dataset.search"), query_string={"sort": "rating_average desc"})
        badges = BeautifulSoup(response.body, "html.parser").find_all(class_="tjportal-rating-badge")
        assert [badge.text.strip() for badge in badges] == ["4.0 (1 ratings)"]


class TestMyRatings:
    def test_lists_own_ratings_only(self, app, catalogue):
        user = factories.UserWithToken()
        call_action("tjportal_rating_create", context=as_user(user),
                    package_id=catalogue["service"]["id"], comment="我的", **scores())
        call_action("tjportal_rating_create", context=as_user(catalogue["member"]),
                    package_id=catalogue["dataset"]["id"], comment="别人的", **scores())
        body = app.get(url("tjportal_feedback.rating_mine"), headers=headers(user)).body
        assert "公交线路查询接口" in body
        assert "我的" in body
        assert "别人的" not in body

    def test_anonymous_sent_to_login(self, app, catalogue):
        response = app.get(url("tjportal_feedback.rating_mine"), follow_redirects=False)
        assert response.status_code == 302
        assert "/user/login" in response.headers["Location"]


@pytest.mark.ckan_config("ckanext.tjportal.feedback.max_per_hour", 2)
class TestRateLimit:
    def test_third_new_rating_answers_429(self, app, catalogue):
        user = factories.UserWithToken()
        for package in (catalogue["dataset"], catalogue["service"]):
            response = app.post("/api/3/action/tjportal_rating_create",
                                json={"package_id": package["id"], **scores()}, headers=headers(user))
            assert response.status_code == 200
        response = app.post("/api/3/action/tjportal_rating_create",
                            json={"package_id": catalogue["private"]["id"], **scores()},
                            headers=headers(catalogue["member"]))
        assert response.status_code == 200

        refused = app.post("/api/3/action/tjportal_rating_create",
                           json={"package_id": catalogue["extra"]["id"], **scores()}, headers=headers(user))
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) <= 3600
        # The Action API answers in the default locale, zh_Hans_CN.
        assert "已达上限" in refused.json["error"]["message"]

    def test_page_answers_429_and_update_still_allowed(self, app, catalogue):
        user = factories.UserWithToken()
        for package in (catalogue["dataset"], catalogue["service"]):
            app.post(url("tjportal_feedback.rating_save", package_id=package["id"]),
                     data=scores(), headers=headers(user))
        refused = app.post(url("tjportal_feedback.rating_save", package_id=catalogue["extra"]["id"]),
                           data=scores(), headers=headers(user))
        assert refused.status_code == 429
        assert "Try again in" in refused.body
        # Changing an existing rating is not a new submission.
        changed = app.post(url("tjportal_feedback.rating_save", package_id=catalogue["dataset"]["id"]),
                           data=scores(accuracy=1), headers=headers(user))
        assert changed.status_code == 200
