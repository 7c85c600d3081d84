"""Tests of download counting: Redis buffer, flushes and the stats action."""
from __future__ import annotations

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan as ckan_command
from ckan.tests import factories
from ckan.tests.helpers import call_action, call_auth

from ckanext.tjportal.downloads.model import DownloadCount

from .conftest import PLUGINS, create_record

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_redis"),
]


def _download(app, resource_id, fmt, status=200):
    app.get(tk.url_for("datastore.dump", resource_id=resource_id, format=fmt), status=status)


def _rows():
    model.Session.expire_all()
    return model.Session.query(DownloadCount).count()


class TestCounting:
    def test_flush_then_stats(self, app, cli, catalogue):
        resource_id = catalogue["resource"]["id"]
        for fmt in ("csv", "csv", "xlsx", "json"):
            _download(app, resource_id, fmt)
        assert _rows() == 0

        result = cli.invoke(ckan_command, ["tjportal-downloads", "flush"])
        assert result.exit_code == 0, result.output
        assert "3" in result.output

        stats = call_action("tjportal_download_stats", id=catalogue["dataset"]["name"])
        assert stats["total"] == 4
        assert stats["formats"] == {"csv": 2, "xlsx": 1, "json": 1}
        assert stats["resources"] == [{"id": resource_id, "total": 4,
                                       "formats": {"csv": 2, "xlsx": 1, "json": 1}}]
        assert len(stats["days"]) == 1
        assert stats["days"][0]["count"] == 4

    def test_flushes_add_up(self, app, catalogue):
        resource_id = catalogue["resource"]["id"]
        _download(app, resource_id, "xlsx")
        call_action("tjportal_download_count_flush", context={"ignore_auth": True})
        _download(app, resource_id, "xlsx")
        call_action("tjportal_download_count_flush", context={"ignore_auth": True})
        stats = call_action("tjportal_download_stats", id=catalogue["dataset"]["id"])
        assert stats["formats"] == {"xlsx": 2}

    def test_stats_include_buffered_downloads(self, app, catalogue):
        resource_id = catalogue["resource"]["id"]
        _download(app, resource_id, "csv")
        call_action("tjportal_download_count_flush", context={"ignore_auth": True})
        _download(app, resource_id, "csv")
        _download(app, resource_id, "xlsx")

        stats = call_action("tjportal_download_stats", id=catalogue["dataset"]["id"])

        assert _rows() == 1
        assert stats["total"] == 3
        assert stats["formats"] == {"csv": 2, "xlsx": 1}
        assert stats["days"][0]["count"] == 3

    def test_buffered_downloads_of_other_datasets_ignored(self, app, catalogue):
        _download(app, catalogue["resource"]["id"], "csv")
        other = create_record(catalogue["department"], {"name": "population"}, "district-households")

        assert call_action("tjportal_download_stats", id=other["id"])["total"] == 0

    @pytest.mark.ckan_config("ckanext.tjportal.downloads.flush_every", "3")
    def test_flush_every_n_downloads(self, app, catalogue):
        resource_id = catalogue["resource"]["id"]
        _download(app, resource_id, "csv")
        _download(app, resource_id, "tsv")
        assert _rows() == 0
        _download(app, resource_id, "xml")
        assert _rows() == 3

    def test_original_file_redirect_counted(self, app, catalogue):
        dataset, resource = catalogue["dataset"], catalogue["resource"]
        url = tk.url_for("dataset_resource.download", id=dataset["name"], resource_id=resource["id"])
        app.get(url, status=302, follow_redirects=False)
        call_action("tjportal_download_count_flush", context={"ignore_auth": True})
        stats = call_action("tjportal_download_stats", id=dataset["id"])
        assert stats["formats"] == {"original": 1}

    def test_failed_download_not_counted(self, app, catalogue):
        _download(app, catalogue["private_resource"]["id"], "csv", status=404)
        _download(app, catalogue["resource"]["id"], "pdf", status=400)
        call_action("tjportal_download_count_flush", context={"ignore_auth": True})
        assert _rows() == 0


class TestStatsAccess:
    def test_public_dataset_open_to_anonymous(self, catalogue):
        assert call_auth("tjportal_download_stats", context={"user": ""},
                         id=catalogue["dataset"]["id"])

    def test_private_dataset_refused_to_outsider(self, catalogue):
        outsider = factories.User()
        with pytest.raises(tk.NotAuthorized):
            call_auth("tjportal_download_stats", context={"user": outsider["name"]},
                      id=catalogue["private"]["id"])

    def test_private_dataset_open_to_member(self, catalogue):
        stats = call_action("tjportal_download_stats",
                            context={"user": catalogue["member"]["name"], "ignore_auth": False},
                            id=catalogue["private"]["id"])
        assert stats["total"] == 0

    def test_unknown_dataset_is_not_found(self, catalogue):
        with pytest.raises((tk.ObjectNotFound, tk.ValidationError)):
            call_action("tjportal_download_stats", id="no-such-dataset")

    def test_flush_only_for_sysadmins(self, catalogue):
        with pytest.raises(tk.NotAuthorized):
            call_auth("tjportal_download_count_flush", context={"user": catalogue["member"]["name"]})
