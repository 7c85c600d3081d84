"""The faster query paths give the same results as the plain ones.

Covers the cached hit and facet counts (backend/cache.py), which must follow
every index write and each user's permission labels, and the title-first
ranking (backend/ranking.py), which must return the same page as ranking
every match.
"""
from __future__ import annotations

import collections
import random

import pytest

from ckan.tests import factories, helpers

from ckanext.tjportal.search.backend import cache, connection, ranking

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "tjportal_search"),
    pytest.mark.ckan_config("ckan.auth.create_unowned_dataset", True),
    pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins"),
]

FACET_FIELDS = ["organization", "groups", "tags", "res_format"]


def search(user: str = "", **params):
    context = {"ignore_auth": False, "user": user}
    return helpers.call_action("package_search", context=context, **params)


def facet_search(user: str = "", **params):
    params.setdefault("facet.field", '["%s"]' % '", "'.join(FACET_FIELDS))
    params.setdefault("facet.limit", -1)
    return search(user, rows=0, **params)


def names(result):
    return [d["name"] for d in result["results"]]


def _random_catalogue(rng: random.Random, count: int):
    """Create ``count`` datasets in three departments and three topics, some
    private, and return their values as the expected counts need them."""
    member = factories.User()
    orgs = [
        factories.Organization(name="dept-%d" % i, users=[{"name": member["name"], "capacity": "member"}]
                               if i == 0 else [])
        for i in range(3)
    ]
    groups = [factories.Group(name="topic-%d" % i) for i in range(3)]
    created = []
    for i in range(count):
        org = rng.choice(orgs)
        topic = rng.choice(groups + [None])
        tags = rng.sample(["医疗", "交通", "教育", "住房"], rng.randint(0, 2))
        formats = rng.sample(["CSV", "XLSX", "JSON"], rng.randint(0, 2))
        private = rng.random() < 0.3
        factories.Dataset(
            name="dataset-%03d" % i,
            title="数据%03d" % i,
            owner_org=org["id"],
            private=private,
            groups=[{"name": topic["name"]}] if topic else [],
            tags=[{"name": tag} for tag in tags],
            resources=[{"url": "http://127.0.0.1/%d.%s" % (i, f.lower()), "format": f} for f in formats],
        )
        created.append({
            "organization": org["name"], "private": private,
            "groups": [topic["name"]] if topic else [], "tags": tags, "res_format": formats,
        })
    return member, orgs[0]["name"], created


def _expected_facets(datasets) -> dict[str, dict[str, int]]:
    counts: dict[str, collections.Counter] = {name: collections.Counter() for name in FACET_FIELDS}
    for dataset in datasets:
        counts["organization"][dataset["organization"]] += 1
        for name in ("groups", "tags", "res_format"):
            counts[name].update(set(dataset[name]))
    return {name: dict(counter) for name, counter in counts.items()}


class TestCachedCounts:
    def test_facets_equal_counts_of_visible_datasets(self):
        member, member_org, datasets = _random_catalogue(random.Random(20261204), 40)
        public = [d for d in datasets if not d["private"]]
        visible_to_member = [d for d in datasets if not d["private"] or d["organization"] == member_org]

        for _ in range(2):  # the second round reads the cached counts
            anonymous = facet_search()
            assert anonymous["count"] == len(public)
            assert anonymous["facets"] == _expected_facets(public)

            as_member = facet_search(member["name"], include_private=True)
            assert as_member["count"] == len(visible_to_member)
            assert as_member["facets"] == _expected_facets(visible_to_member)

    def test_counts_follow_every_index_write(self):
        org = factories.Organization(name="dept-a")
        first = factories.Dataset(title="医院名录", owner_org=org["id"], tags=[{"name": "医疗"}])
        assert facet_search(q="医院")["facets"]["tags"] == {"医疗": 1}

        second = factories.Dataset(title="医院床位", owner_org=org["id"], tags=[{"name": "医疗"}])
        result = facet_search(q="医院")
        assert result["count"] == 2
        assert result["facets"]["tags"] == {"医疗": 2}

        helpers.call_action("package_patch", id=second["id"], private=True)
        result = facet_search(q="医院")
        assert result["count"] == 1
        assert result["facets"]["organization"] == {"dept-a": 1}

        helpers.call_action("package_delete", id=first["id"])
        result = facet_search(q="医院")
        assert result["count"] == 0
        assert result["facets"]["tags"] == {}

    def test_facets_count_datasets_not_values(self):
        factories.Dataset(name="two-csv", title="医院名录", license_id="cc-by", resources=[
            {"url": "http://127.0.0.1/a.csv", "format": "CSV"},
            {"url": "http://127.0.0.1/a.csv", "format": "CSV"},
        ])
        factories.Dataset(name="one-csv", title="医院床位", license_id="cc-by", resources=[
            {"url": "http://127.0.0.1/a.csv", "format": "CSV"},
        ])

        # These two fields are counted from the facet_values column.
        usual = search(rows=0, **{"facet.field": '["res_format", "license_id"]'})
        assert usual["facets"]["res_format"] == {"CSV": 2}
        assert usual["facets"]["license_id"] == {"cc-by": 2}

        # Other fields are counted from the fields document.
        other = search(rows=0, **{"facet.field": '["res_url", "res_format"]'})
        assert other["facets"]["res_url"] == {"http://127.0.0.1/a.csv": 2}
        assert other["facets"]["res_format"] == {"CSV": 2}

    def test_cached_facets_are_not_changed_by_callers(self):
        factories.Dataset(title="医院名录", tags=[{"name": "医疗"}])

        first = facet_search()
        first["facets"]["tags"]["医疗"] = 99
        assert facet_search()["facets"]["tags"] == {"医疗": 1}

    def test_index_write_changes_index_state(self):
        factories.Dataset(title="医院名录")
        with connection._cursor() as cursor:
            before = cache.index_state(cursor)
        factories.Dataset(title="医院床位")
        with connection._cursor() as cursor:
            after = cache.index_state(cursor)
        assert before != after


def _create_ranked_catalogue(rng: random.Random) -> None:
    """Datasets that find 医疗 in the title (often twice, or also in the
    tags), only in the tags, or only in the description, in random order.

    For the query "医疗 道路 桥梁", a title with 医疗 and a resource named
    道路桥梁 (which ranking ignores) scores below a dataset with all three
    words in its tags and description. A page taken from title matches alone
    would be wrong for that query.
    """
    kinds = (["title twice"] * 12 + ["title and tag"] * 8 + ["title"] * 6 + ["tag"] * 8
             + ["notes"] * 10 + ["title, resource"] * 6 + ["tags and notes"] * 6)
    rng.shuffle(kinds)
    for i, kind in enumerate(kinds):
        title = "数据%02d" % i
        tags: list[dict[str, str]] = []
        notes = "本数据按月更新。"
        resources: list[dict[str, str]] = []
        if kind == "title twice":
            title = "医疗%02d医疗服务" % i
        elif kind == "title and tag":
            title = "医疗%02d名录" % i
            tags = [{"name": "医疗"}]
        elif kind == "title":
            title = "医疗%02d情况" % i
        elif kind == "tag":
            tags = [{"name": "医疗"}]
        elif kind == "notes":
            notes = "包含医疗机构的地址。"
        elif kind == "title, resource":
            title = "医疗%02d名单" % i
            resources = [{"url": "http://127.0.0.1/%d.csv" % i, "name": "道路桥梁"}]
        else:
            tags = [{"name": "医疗"}, {"name": "道路"}, {"name": "桥梁"}]
            notes = "医疗，道路，桥梁。" * 8
        factories.Dataset(name="ranked-%02d" % i, title=title, notes=notes, tags=tags,
                          resources=resources)


class TestTitleFirstRanking:
    @pytest.mark.parametrize("query", ["医疗", "医疗 道路 桥梁", "医疗 数据", "医院"])
    def test_pages_equal_full_ranking(self, query, monkeypatch):
        _create_ranked_catalogue(random.Random(7))
        answered = []
        title_first_page = ranking.title_first_page

        def recording_title_first_page(*args, **kwargs):
            page = title_first_page(*args, **kwargs)
            answered.append(page is not None)
            return page

        monkeypatch.setattr(ranking, "title_first_page", recording_title_first_page)
        pages = {(start, rows): names(search(q=query, start=start, rows=rows))
                 for start, rows in [(0, 5), (0, 10), (5, 5), (10, 10), (30, 10)]}

        monkeypatch.setattr(ranking, "MAX_TITLE_CANDIDATES", 0)
        for (start, rows), page in pages.items():
            assert page == names(search(q=query, start=start, rows=rows)), (start, rows)
        if query == "医疗":
            assert any(answered), "no page of the catalogue was answered from title matches"

    def test_score_bound_lies_between_title_and_other_matches(self):
        one_title_match = 1.0 / ranking.ZETA_2
        assert ranking.score_bound(False) > ranking.WEIGHTS[2]
        assert ranking.score_bound(False) > one_title_match
        assert ranking.score_bound(True) > ranking.score_bound(False)


class TestTitleLexemes:
    def _lexemes(self, *queries):
        terms = [connection.lucene.Sql("%s::tsquery", [q]) for q in queries]
        with connection._cursor() as cursor:
            return ranking.title_lexemes(cursor, terms)

    def test_lexemes_of_or_query(self):
        assert self._lexemes("'天津市' | '天津' <-> '津市'", "'交通'") == {
            "'天津市'", "'天津'", "'津市'", "'交通'"}

    def test_single_lexeme(self):
        assert self._lexemes("'医疗'") == {"'医疗'"}

    @pytest.mark.parametrize("query", ["'天津' <-> '津市'", "'医疗' & '机构'", "'医疗':*", "'医疗':A"])
    def test_queries_without_the_bound(self, query):
        assert self._lexemes(query) is None


class TestUnrankedPages:
    def test_pages_list_visible_datasets_once_in_order(self):
        rng = random.Random(7)
        member, member_org, created = _random_catalogue(rng, 40)
        # The ordering the pages must follow: newest change first.
        expected = {}
        for user, include_private in (("", False), (member["name"], True)):
            every = search(user, q="*:*", rows=1000, include_private=include_private)
            expected[user] = names(every)
            modified = [d["metadata_modified"] for d in every["results"]]
            assert modified == sorted(modified, reverse=True)

        for user, include_private in (("", False), (member["name"], True)):
            pages = []
            for start in range(0, 45, 7):
                pages.extend(names(search(user, q="*:*", rows=7, start=start, include_private=include_private)))
            assert pages == expected[user]
        public = [c for c in created if not c["private"]]
        assert len(expected[""]) == len(public)
        visible_to_member = [c for c in created if not c["private"] or c["organization"] == member_org]
        assert len(expected[member["name"]]) == len(visible_to_member)

    def test_page_follows_requested_sort(self):
        for i, title in enumerate(["丙", "甲", "乙"]):
            factories.Dataset(name="sorted-%d" % i, title=title)

        result = search(q="*:*", sort="name desc", rows=2, start=1)

        assert names(result) == ["sorted-1", "sorted-0"]


class TestRequestedFields:
    def test_results_carry_only_requested_fields(self):
        factories.Dataset(name="hospitals", title="医院名录", notes="全市医院")

        result = search(q="医院", fl="name,title,no_such_field")

        assert result["results"] == [{"name": "hospitals", "title": "医院名录"}]

    def test_full_dicts_by_default(self):
        dataset = factories.Dataset(name="hospitals", title="医院名录")

        result = search(q="医院")

        assert result["results"][0]["id"] == dataset["id"]
        assert result["results"][0]["notes"] == dataset["notes"]
