"""package_search through CKAN's action layer, answered by the PostgreSQL backend."""
from __future__ import annotations

import pytest

from ckan.lib.search.common import SearchError
from ckan.tests import factories, helpers

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "tjportal_search"),
    pytest.mark.ckan_config("ckan.auth.create_unowned_dataset", True),
    pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins"),
]


def search(**params):
    """Run package_search as an anonymous visitor."""
    context = {"ignore_auth": False, "user": ""}
    return helpers.call_action("package_search", context=context, **params)


def titles(result):
    return [d["title"] for d in result["results"]]


class TestChineseText:
    def test_word_inside_longer_title(self):
        factories.Dataset(title="天津市三级医疗机构基本信息")
        factories.Dataset(title="北京市轨道站点信息")

        for word in ["医疗机构", "机构", "三级", "天津", "基本信息"]:
            assert titles(search(q=word)) == ["天津市三级医疗机构基本信息"], word
        # 医院 would match through its default synonym 医疗机构.
        assert search(q="学校")["count"] == 0

    def test_any_two_adjacent_characters_match(self):
        title = "津静线车站出入口坐标"
        factories.Dataset(title=title)
        factories.Dataset(title="上海市公共图书馆名录")

        for i in range(len(title) - 1):
            pair = title[i:i + 2]
            assert titles(search(q=pair)) == [title], pair

    def test_two_words_must_both_match(self):
        factories.Dataset(title="天津市第一中心医院门诊信息")
        factories.Dataset(title="天津市公交线路")

        assert titles(search(q="天津 医院")) == ["天津市第一中心医院门诊信息"]
        assert titles(search(q="天津医院")) == ["天津市第一中心医院门诊信息"]

    def test_mixed_chinese_latin_and_digits(self):
        factories.Dataset(title="2023年GDP统计")
        factories.Dataset(title="PM2.5监测数据")

        assert titles(search(q="gdp")) == ["2023年GDP统计"]
        assert titles(search(q="2023年")) == ["2023年GDP统计"]
        assert titles(search(q="PM2.5")) == ["PM2.5监测数据"]

    def test_full_width_folds_to_half_width(self):
        factories.Dataset(title="PM2.5监测数据")

        assert titles(search(q="ＰＭ２．５")) == ["PM2.5监测数据"]

    def test_title_ranks_above_description(self):
        factories.Dataset(title="公共自行车站点", notes="全市站点分布")
        factories.Dataset(title="全市道路名录", notes="包含公共自行车租赁点附近的道路")

        assert titles(search(q="公共自行车")) == ["公共自行车站点", "全市道路名录"]

    def test_tags_are_searchable(self):
        factories.Dataset(title="名录一", tags=[{"name": "医院"}])
        factories.Dataset(title="名录二")

        assert titles(search(q="医院")) == ["名录一"]
        assert titles(search(fq='tags:"医院"')) == ["名录一"]


class TestFacetsAndFilters:
    def test_facet_counts_follow_the_query(self):
        health = factories.Organization(name="tj-health")
        transport = factories.Organization(name="tj-transport")
        topic = factories.Group(name="health")
        factories.Dataset(title="医院名录", owner_org=health["id"], groups=[{"name": "health"}])
        factories.Dataset(title="医院床位", owner_org=health["id"])
        factories.Dataset(title="地铁站点", owner_org=transport["id"])

        result = search(q="*:*", **{"facet.field": '["organization", "groups"]'})
        assert result["count"] == 3
        assert result["facets"]["organization"] == {"tj-health": 2, "tj-transport": 1}
        assert result["facets"]["groups"] == {topic["name"]: 1}

        result = search(q="医院", **{"facet.field": '["organization"]'})
        assert result["facets"]["organization"] == {"tj-health": 2}

    def test_filter_query_narrows_results(self):
        health = factories.Organization(name="tj-health")
        transport = factories.Organization(name="tj-transport")
        factories.Dataset(title="医院名录", owner_org=health["id"])
        factories.Dataset(title="地铁站点", owner_org=transport["id"])

        assert titles(search(fq="organization:tj-transport")) == ["地铁站点"]
        assert titles(search(fq="-organization:tj-transport")) == ["医院名录"]
        assert search(fq="organization:(tj-transport OR tj-health)")["count"] == 2

    def test_resource_format_filter(self):
        factories.Dataset(title="带附件", resources=[{"url": "http://127.0.0.1/a.csv", "format": "CSV"}])
        factories.Dataset(title="无附件")

        assert titles(search(fq="res_format:CSV")) == ["带附件"]

    def test_dataset_type_filter(self):
        factories.Dataset(title="文件数据", type="dataset")
        factories.Dataset(title="接口数据", type="dataservice")

        assert titles(search(fq="+dataset_type:dataservice")) == ["接口数据"]
        assert titles(search(fq="+dataset_type:dataset")) == ["文件数据"]


class TestPermissions:
    def test_private_dataset_hidden_from_anonymous_search_and_facets(self):
        org = factories.Organization(name="tj-health")
        factories.Dataset(title="公开医院名录", owner_org=org["id"])
        factories.Dataset(title="内部医院名录", owner_org=org["id"], private=True)

        result = search(q="医院", **{"facet.field": '["organization"]'})
        assert titles(result) == ["公开医院名录"]
        assert result["count"] == 1
        assert result["facets"]["organization"] == {"tj-health": 1}

    def test_member_sees_private_dataset(self):
        user = factories.User()
        org = factories.Organization(users=[{"name": user["name"], "capacity": "member"}])
        factories.Dataset(title="内部医院名录", owner_org=org["id"], private=True)

        result = helpers.call_action(
            "package_search", context={"user": user["name"], "ignore_auth": False},
            q="医院", include_private=True,
        )
        assert titles(result) == ["内部医院名录"]

    def test_draft_hidden_unless_requested(self):
        user = factories.User()
        factories.Dataset(title="草稿名录", state="draft", user=user)

        assert search(q="草稿")["count"] == 0
        result = helpers.call_action(
            "package_search", context={"user": user["name"], "ignore_auth": False},
            q="草稿", include_drafts=True,
        )
        assert titles(result) == ["草稿名录"]


class TestSortAndPaging:
    def test_sort_by_title_and_name(self):
        factories.Dataset(title="B 数据", name="b-data")
        factories.Dataset(title="A 数据", name="c-data")
        factories.Dataset(title="C 数据", name="a-data")

        assert titles(search(sort="title_string asc")) == ["A 数据", "B 数据", "C 数据"]
        assert titles(search(sort="name asc")) == ["C 数据", "B 数据", "A 数据"]
        assert titles(search(sort="title_string desc")) == ["C 数据", "B 数据", "A 数据"]

    def test_sort_by_metadata_modified(self):
        first = factories.Dataset(title="最早")
        factories.Dataset(title="其次")
        helpers.call_action("package_patch", id=first["id"], notes="更新")

        assert titles(search(sort="metadata_modified desc"))[0] == "最早"
        assert titles(search(sort="metadata_modified asc"))[0] == "其次"

    def test_rows_and_start_page_through_results(self):
        for i in range(7):
            factories.Dataset(title="数据%02d" % i)

        pages = [titles(search(sort="title_string asc", rows=3, start=s)) for s in (0, 3, 6)]
        assert pages == [["数据00", "数据01", "数据02"], ["数据03", "数据04", "数据05"], ["数据06"]]
        assert search(rows=3, start=6)["count"] == 7
        assert search(rows=3, start=60)["results"] == []


class TestFieldedQueries:
    def test_field_value_in_q(self):
        factories.Dataset(title="医院名录", name="hospital-list")
        factories.Dataset(title="地铁站点", name="metro-stations")

        assert titles(search(q="name:hospital-list")) == ["医院名录"]
        assert titles(search(q="title:站点")) == ["地铁站点"]
        assert titles(search(q="name:metro*")) == ["地铁站点"]
        assert search(q="name:hospital-list OR name:metro-stations")["count"] == 2

    def test_field_list_returns_requested_fields(self):
        factories.Dataset(title="医院名录", name="hospital-list")

        result = search(q="医院", fl="name,title")
        assert result["results"] == [{"name": "hospital-list", "title": "医院名录"}]


class TestBadInput:
    @pytest.mark.parametrize("params", [
        {"q": 'title:"unbalanced'},
        {"q": "title:(a OR"},
        {"q": "name:foo~2"},
        {"sort": "title_string sideways"},
        {"sort": "title_string; DROP TABLE package"},
        {"fq": "{!lucene}name:foo"},
        {"q": "metadata_modified:[yesterday TO *]"},
    ])
    def test_rejected_by_action_with_search_error(self, params):
        factories.Dataset(title="医院名录")

        with pytest.raises(SearchError):
            search(**params)

    @pytest.mark.parametrize("params, status", [
        ({"q": 'title:"unbalanced'}, 400),
        ({"q": "name:foo~2"}, 400),
        ({"sort": "title_string sideways"}, 400),
        ({"q": "x" * 10000 + ":y"}, 400),
        ({"fq": "{!lucene}name:foo"}, 409),
    ])
    def test_api_answers_client_error_with_message(self, app, params, status):
        response = app.get("/api/3/action/package_search", query_string=params, status=status)

        assert response.json["success"] is False
        assert response.json["error"]["message"]

    def test_sql_fragments_are_plain_text(self):
        factories.Dataset(title="医院名录")

        assert search(q="'; DROP TABLE package; --")["count"] == 0
        assert search(q="医院")["count"] == 1

    def test_unbalanced_quote_in_free_text_still_searches(self):
        factories.Dataset(title="医院名录")

        assert titles(search(q='"医院')) == ["医院名录"]


class TestIndexMaintenance:
    def test_deleted_dataset_leaves_the_index(self):
        dataset = factories.Dataset(title="医院名录")
        helpers.call_action("package_delete", id=dataset["id"])

        assert search(q="医院")["count"] == 0

    def test_rebuild_clear_check_and_show(self, cli):
        from ckan.cli.cli import ckan

        dataset = factories.Dataset(title="医院名录", name="hospital-list")

        result = cli.invoke(ckan, ["search-index", "clear"])
        assert result.exit_code == 0, result.output
        assert search(q="医院")["count"] == 0

        result = cli.invoke(ckan, ["search-index", "check"])
        assert result.exit_code == 0, result.output
        assert "Packages not indexed = 1 out of 1" in result.output

        result = cli.invoke(ckan, ["search-index", "rebuild"])
        assert result.exit_code == 0, result.output
        assert titles(search(q="医院")) == ["医院名录"]

        result = cli.invoke(ckan, ["search-index", "show", dataset["name"]])
        assert result.exit_code == 0, result.output
        assert "hospital-list" in result.output

    def test_deferred_documents_written_on_commit(self):
        import ckan.lib.search as search_module

        dataset = factories.Dataset(title="医院名录")
        search_module.clear_all()
        search_module.rebuild(package_ids=[dataset["id"]], defer_commit=True, quiet=True)
        search_module.commit()

        assert titles(search(q="医院")) == ["医院名录"]

    def test_parallel_rebuild_command(self, cli):
        from ckan.cli.cli import ckan

        factories.Dataset(title="医院名录")
        factories.Dataset(title="公交站点")
        import ckan.lib.search as search_module

        search_module.clear_all()
        result = cli.invoke(ckan, ["tjportal-search", "rebuild", "--workers", "2"])

        assert result.exit_code == 0, result.output
        assert "Indexed 2 datasets" in result.output
        assert titles(search(q="医院")) == ["医院名录"]
        assert titles(search(q="公交")) == ["公交站点"]


class TestSynonyms:
    def test_default_synonyms_match_both_ways(self):
        factories.Dataset(title="公共交通线路")
        factories.Dataset(title="地区生产总值季度数据")

        assert titles(search(q="公交")) == ["公共交通线路"]
        assert titles(search(q="GDP")) == ["地区生产总值季度数据"]

    def test_literal_match_ranks_above_synonym(self):
        factories.Dataset(title="公共交通线路")
        factories.Dataset(title="公交线路")

        assert titles(search(q="公交")) == ["公交线路", "公共交通线路"]

    def test_configured_file_replaces_default(self, tmp_path):
        synonyms = tmp_path / "synonyms.txt"
        synonyms.write_text("# test group\n单车, 自行车\n", encoding="utf-8")
        factories.Dataset(title="公共自行车站点")
        factories.Dataset(title="公共交通线路")

        with helpers.changed_config("ckanext.tjportal.search.synonyms", str(synonyms)):
            assert titles(search(q="单车")) == ["公共自行车站点"]
            assert search(q="公交")["count"] == 0
        assert titles(search(q="公交")) == ["公共交通线路"]


class TestNumericSort:
    def test_rating_fields_sort_as_numbers(self):
        from ckanext.tjportal.search.backend.connection import PostgresSearchConnection

        from ckan.model import meta

        datasets = [factories.Dataset(title="评分%d" % count) for count in (9, 10, 2)]
        connection = PostgresSearchConnection()
        raw = meta.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SELECT stored FROM tjportal_search_document")
            stored = {row[0]["id"]: row[0] for row in cursor.fetchall()}
        finally:
            raw.close()
        documents = []
        for dataset, count in zip(datasets, (9, 10, 2)):
            document = dict(stored[dataset["id"]])
            document["rating_count"] = count
            documents.append(document)
        connection.add(docs=documents)
        connection.commit()

        assert titles(search(sort="rating_count desc")) == ["评分10", "评分9", "评分2"]
        assert titles(search(sort="rating_count asc")) == ["评分2", "评分9", "评分10"]
