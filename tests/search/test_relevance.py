"""Relevance of package_search on the real demo catalogue (demo/tj-catalog).

The catalogue is loaded once per module through the same loader as
``ckan tjportal load-demo``; each case is a query a visitor would type and a
dataset that must appear among the first five results.
"""
from __future__ import annotations

import pathlib

import pytest

import ckan.plugins as p
from ckan.lib import search
from ckan.tests import helpers
from ckanext.datastore.backend.postgres import get_write_engine
from ckanext.datastore.tests.helpers import rebuild_all_dbs
from sqlalchemy import orm

from ckanext.tjportal.theme import loader

CATALOGUE = pathlib.Path(__file__).resolve().parents[2] / "demo" / "tj-catalog"
MIGRATED_PLUGINS = ["tjportal_search", "tjportal_developer", "tjportal_downloads"]
FIRST_PAGE = 5

# (query, title of a dataset expected in the first five results, what the case shows)
CASES = [
    ("医疗机构", "医疗机构执业登记信息", "word in the title"),
    ("三级医疗", "三级医疗机构基本信息", "start of a compound"),
    ("医院", "医院", "exact title"),
    ("政府采购", "政府采购更正公告", "word shared by several titles"),
    ("采购公告", "政府采购磋商公告", "two words run together"),
    ("轨道站点", "北京市轨道站点信息（出行）", "two words run together"),
    ("地铁", "天津轨道交通线路、站数及起讫站（截至2024年12月）", "synonym of 轨道交通"),
    ("公交", "公交站点信息（出行服务）", "short form"),
    ("公共交通", "公交站点信息（出行服务）", "synonym of 公交"),
    ("高校", "位于天津市的普通高等学校名单（教育部学校标识码，约2017年版）", "synonym of 高等学校"),
    ("高等学校", "位于天津市的普通高等学校名单（教育部学校标识码，约2017年版）", "inside a longer title"),
    ("积水", "下立交积水自动监测站点信息", "word inside a compound"),
    ("取水口", "地表水取水口信息", "word inside a compound"),
    ("婚姻登记", "婚姻登记机构", "start of the title"),
    ("骨灰堂", "骨灰堂", "rare word"),
    ("养老", "养老机构设置医疗机构", "part of 养老机构"),
    ("非物质文化遗产", "上海市非物质文化遗产代表性项目——民间文学类", "long compound"),
    ("文化遗产", "上海市非物质文化遗产代表性项目——民间文学类", "end of a compound"),
    ("文物", "上海市不可移动文物名录（文物保护点）", "word inside a compound"),
    ("机动车检测", "公安局登记备案的机动车检测场信息", "two words run together"),
    ("高新技术企业", "2019-2022高新技术企业", "title after digits"),
    ("2019-2022高新技术企业", "2019-2022高新技术企业", "digits and Chinese"),
    ("人口期望寿命", "2017年上海市人口期望寿命", "end of the title"),
    ("2017年 人口", "2017年上海市人口期望寿命", "year and word"),
    ("２０１７年 人口", "2017年上海市人口期望寿命", "full-width digits"),
    ("居民消费价格", "上海居民消费价格", "words run together"),
    ("消费水平", "1978年以来居民消费水平及指数", "word inside a title"),
    ("天气预警", "天气预警信息表", "start of the title"),
    ("药品 生产", "药品生产企业信息", "two words"),
    ("化妆品", "化妆品生产企业信息", "single word"),
    ("行政区划", "天津市乡级行政区划（街道、镇、乡）统计用区划代码", "word in a DataStore table's title"),
    ("人口普查", "天津市各区行政区划代码、面积及第六次、第七次全国人口普查常住人口", "word late in a long title"),
    ("车站 坐标", "天津轨道交通车站名称、坐标及所属线路（截至2024年12月）", "two words apart"),
    ("医保 定点", "上海市医保定点医疗机构", "two words in one title"),
    ("典当", "本市典当行基本情况_法人", "part of 典当行"),
    ("融资担保", "在沪融资担保机构基本信息", "word inside a title"),
    ("清真", "清真网点", "start of the title"),
    ("\"政府采购磋商\"", "政府采购磋商公告", "quoted phrase"),
    ("xls 三级医疗机构", "三级医疗机构基本信息", "English format name and Chinese"),
]


@pytest.fixture(scope="module")
def catalogue(reset_db, migrate_db_for):
    """Load the demo catalogue into fresh databases once for this module."""
    p.load_all()
    try:
        reset_db()
        for plugin in MIGRATED_PLUGINS:
            if p.plugin_loaded(plugin):
                migrate_db_for(plugin)
        rebuild_all_dbs(orm.scoped_session(orm.sessionmaker(bind=get_write_engine())))
        search.clear_all()
        report = loader.load_catalogue(CATALOGUE)
    finally:
        p.unload_all()
    return report


def first_titles(query: str) -> list[str]:
    result = helpers.call_action(
        "package_search", context={"ignore_auth": False, "user": ""}, q=query, rows=FIRST_PAGE
    )
    return [dataset["title"] for dataset in result["results"]]


@pytest.mark.usefixtures("with_plugins")
class TestDemoCatalogueRelevance:
    def test_catalogue_loaded_without_failures(self, catalogue):
        assert catalogue.total().failed == 0
        assert helpers.call_action("package_search", rows=0)["count"] >= 80

    @pytest.mark.parametrize("query, expected, case", CASES, ids=[c[0] for c in CASES])
    def test_expected_dataset_in_first_page(self, catalogue, query, expected, case):
        assert expected in first_titles(query), case

    def test_title_match_ranks_above_keyword_match(self, catalogue):
        # 医院 is the whole title of one dataset and only a keyword of 三级医疗机构基本信息.
        titles = first_titles("医院")
        assert titles[0] == "医院"
        assert titles.index("医院") < titles.index("三级医疗机构基本信息")

    def test_title_match_ranks_above_description_match(self, catalogue):
        # 骨灰堂 is a title; other datasets may mention it only in their description.
        assert first_titles("骨灰堂")[0] == "骨灰堂"
