"""Tests of the demo FAQ that ``ckan tjportal load-demo`` loads."""
from __future__ import annotations

import csv
import json
import pathlib

import pytest

from ckan.cli.cli import ckan
from ckan.tests.helpers import call_action
from ckanext.tjportal.theme import cli as theme_cli
from ckanext.tjportal.theme import faq_loader, loader

from test_loader import DEPARTMENTS, GOOD_RECORD, _write_catalogue

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db")

DEMO_FAQ = pathlib.Path(__file__).resolve().parents[2] / "demo" / "faq.csv"
WITHOUT_FEEDBACK = "tjportal tjportal_search scheming_datasets datastore"

FAQ_CSV = """category,position,question,answer
查找与下载数据,1,怎样查找需要的数据？,在搜索框中输入关键词。
开发者与接口,1,怎样调用数据接口？,在 Authorization 请求头中附上令牌。
开发者与接口,2,,缺少问题的行
"""


@pytest.fixture
def catalogue(tmp_path):
    """A catalogue that loads without failures, with FAQ_CSV next to it."""
    folder = _write_catalogue(tmp_path / "tj-catalog", [json.dumps(GOOD_RECORD)])
    (folder / "departments.csv").write_text(
        "\n".join(line for line in DEPARTMENTS.splitlines() if not line.startswith("Bad Slug")) + "\n",
        encoding="utf-8")
    (tmp_path / "faq.csv").write_text(FAQ_CSV, encoding="utf-8")
    return folder


def _load(cli, *arguments):
    return cli.invoke(ckan, ["tjportal", "load-demo", *[str(argument) for argument in arguments]])


def _questions():
    return {faq["question"]: faq for faq in call_action("tjportal_faq_list")}


class TestFaqLoader:
    def test_faq_next_to_catalogue_loaded(self, cli, catalogue):
        result = _load(cli, catalogue)

        questions = _questions()
        assert set(questions) == {"怎样查找需要的数据？", "怎样调用数据接口？"}
        assert questions["怎样调用数据接口？"]["category"] == "开发者与接口"
        assert "faq.csv: 2 loaded, 0 updated, 1 failed" in result.output
        assert "faq.csv, line 4: question:" in result.output
        assert result.exit_code == 1

    def test_rerun_updates_without_duplicates(self, cli, catalogue):
        _load(cli, catalogue)
        faq_file = catalogue.parent / "faq.csv"
        faq_file.write_text(FAQ_CSV.replace("在搜索框中输入关键词。", "在首页搜索框中输入关键词。"), encoding="utf-8")

        result = _load(cli, catalogue)

        questions = _questions()
        assert len(questions) == 2
        assert questions["怎样查找需要的数据？"]["answer"] == "在首页搜索框中输入关键词。"
        assert "faq.csv: 0 loaded, 1 updated, 1 failed" in result.output

    def test_faq_option_names_file(self, cli, catalogue, tmp_path):
        other = tmp_path / "other.csv"
        other.write_text("category,position,question,answer\n账户,1,需要注册吗？,浏览不需要注册。\n",
                         encoding="utf-8")

        result = _load(cli, catalogue, "--faq", other)

        assert set(_questions()) == {"需要注册吗？"}
        assert "other.csv: 1 loaded, 0 updated, 0 failed" in result.output

    def test_missing_faq_option_file_fails(self, cli, catalogue, tmp_path):
        result = _load(cli, catalogue, "--faq", tmp_path / "absent.csv")

        assert result.exit_code == 2
        assert "FAQ file not found" in result.output
        assert _questions() == {}

    def test_missing_columns_reported(self, cli, catalogue):
        (catalogue.parent / "faq.csv").write_text("question,answer\n问题,回答\n", encoding="utf-8")

        result = _load(cli, catalogue)

        assert "faq.csv: missing columns: category, position" in result.output
        assert _questions() == {}

    def test_no_faq_file_skipped(self, cli, catalogue):
        (catalogue.parent / "faq.csv").unlink()

        result = _load(cli, catalogue)

        assert "FAQ skipped" in result.output
        assert result.exit_code == 0, result.output

    # The CLI loads the plugins of the ini file, so these two call the
    # loading step directly with the plugins of the marker.
    @pytest.mark.ckan_config("ckan.plugins", WITHOUT_FEEDBACK)
    def test_skipped_without_feedback_plugin(self, catalogue, capsys):
        report = loader.LoadReport()

        theme_cli._load_faq(report, catalogue.parent / "faq.csv")

        assert "FAQ skipped: the tjportal_feedback plugin is not enabled." in capsys.readouterr().out
        assert report.steps == {}

    @pytest.mark.ckan_config("ckan.plugins", WITHOUT_FEEDBACK)
    def test_loader_rejects_without_feedback_plugin(self, catalogue):
        with pytest.raises(RuntimeError, match="tjportal_feedback"):
            faq_loader.load_faq(catalogue.parent / "faq.csv")

    def test_demo_faq_loads_cleanly(self, cli, catalogue):
        result = _load(cli, catalogue, "--faq", DEMO_FAQ)

        with DEMO_FAQ.open(encoding="utf-8", newline="") as stream:
            rows = list(csv.DictReader(stream))
        assert result.exit_code == 0, result.output
        assert 8 <= len(rows) <= 12
        assert 3 <= len({row["category"] for row in rows}) <= 4
        assert set(_questions()) == {row["question"] for row in rows}
