"""The header and footer link to the public feedback pages when that plugin is on.

The user centre is reached from the user's own page, where tjportal_feedback
adds a tab.
"""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

import ckan.plugins.toolkit as tk

WITH_FEEDBACK = "tjportal tjportal_search scheming_datasets datastore tjportal_developer tjportal_feedback"
WITHOUT_FEEDBACK = "tjportal tjportal_search scheming_datasets datastore"


def _links(response):
    page = BeautifulSoup(response.body, "html.parser")
    return {a.get_text(strip=True): a.get("href") for a in page.find_all("a")}


@pytest.mark.ckan_config("ckan.plugins", WITH_FEEDBACK)
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_feedback_pages_linked(app):
    links = _links(app.get(tk.url_for("home.index")))

    assert links["开放建议"] == tk.url_for("tjportal_feedback.suggestion_list")
    assert links["常见问题"] == tk.url_for("tjportal_feedback.faq")


@pytest.mark.ckan_config("ckan.plugins", WITHOUT_FEEDBACK)
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_no_feedback_links_without_plugin(app):
    links = _links(app.get(tk.url_for("home.index")))

    assert "开放建议" not in links
    assert "常见问题" not in links


def _active_tabs(response):
    page = BeautifulSoup(response.body, "html.parser")
    return [li.get_text(strip=True) for li in page.select("header .navbar-nav li.active")]


@pytest.mark.ckan_config("ckan.plugins", WITH_FEEDBACK)
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_suggestion_tab_active_on_suggestions_only(app):
    suggestions = app.get(tk.url_for("tjportal_feedback.suggestion_list"))
    faq = app.get(tk.url_for("tjportal_feedback.faq"))

    assert _active_tabs(suggestions) == ["开放建议"]
    assert _active_tabs(faq) == []


@pytest.mark.ckan_config("ckan.plugins", WITHOUT_FEEDBACK)
@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_user_picture_not_from_gravatar(app):
    from ckan.tests import factories

    # Without a picture of their own, CKAN shows the site default.
    user = factories.User(email="zhang@example.com", image_url="")
    page = BeautifulSoup(app.get(tk.url_for("user.read", id=user["name"])).body, "html.parser")

    pictures = [img.get("src") for img in page.select(".image img")]
    assert pictures
    assert not any("gravatar.com" in src for src in pictures)
