"""package_search with whatever parameters a client sends, on real PostgreSQL.

Hypothesis builds the parameters from the characters and fragments that break
query parsers: unbalanced quotes and brackets, a lone ``:``, Lucene operators,
local parameters, unknown fields, SQL, NUL bytes, unpaired surrogates, very
long strings and out-of-range numbers. Every request must either return
results or fail the way CKAN reports a bad request: ValidationError or
SearchError from the action, 400 or 409 with a message from the API. No
request may reach the anonymous caller's view of a private dataset, and no
error may show PostgreSQL's own text.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ckan.lib.search.common import SearchError
from ckan.logic import ValidationError
from ckan.tests import factories, helpers

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", "tjportal_search"),
    pytest.mark.ckan_config("ckan.auth.create_unowned_dataset", True),
    pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins"),
]

# Bounded so that both tests together run in well under a minute; the
# @example cases below always run in addition.
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

PRIVATE_TITLE = "内部医院名录 secret-hospital-list"
# Text that appears only when PostgreSQL's error message or the generated SQL
# reaches the client.
DATABASE_TEXT = (
    "psycopg2", "LINE 1", "syntax error at or near", "tjportal_search_document",
    "SELECT ", "HINT:", "ERROR:", "tsquery", "jsonb", "_tjportal_search_timestamp",
)

FIELDS = [
    "title", "name", "notes", "tags", "groups", "organization", "res_format",
    "text", "metadata_modified", "metadata_created", "title_ngram", "name_ngram",
    "capacity", "permission_labels", "site_id", "state", "views_total",
    "extras_spatial", "start_date", "no_such_field", "_query_", "_val_", "*",
    "title;DROP", "名称", "a b", "",
]
FRAGMENTS = [
    '"', "'", "(", ")", "[", "]", "{", "}", "{!", "{!bool must=x}", ":", "*", "?",
    "~", "~2", "^", "^3", "\\", "/", "+", "-", "--", "!", "&&", "||", "AND", "OR",
    "NOT", " TO ", "*:*", "[* TO *]", "{* TO NOW}", "NOW-1DAY", "NOW+99999999999YEARS",
    "NOW/DAY", "2014-13-45T25:61:00Z", "-1", "1e999", "99999999999999999999",
    "'; DROP TABLE package; --", "1' OR '1'='1", "%", "_", "$1", "\x00", "\ud800",
    "\u202e", "\ufeff", "\u3000", "ＡＢＣ", "医院", "天津市", "𠀀", "é", "\n", "\t",
    " ", "%(name)s", "%s", "::text", "$$", "E'\\x41'",
]
SORT_DIRECTIONS = ["asc", "desc", "ASC", "sideways", "", "asc desc"]


def _text(surrogates: bool) -> st.SearchStrategy[str]:
    if surrogates:
        return st.text(max_size=40)
    return st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


def _query(surrogates: bool) -> st.SearchStrategy[str]:
    fragment = st.sampled_from(
        [f for f in FRAGMENTS if surrogates or f != "\ud800"]
        + [f + ":" for f in FIELDS]
    )
    pieces = st.lists(st.one_of(fragment, _text(surrogates)), max_size=8)
    return st.one_of(
        pieces.map("".join),
        pieces.map(" ".join),
        st.sampled_from(["x" * 10000, "(" * 2000 + "a" + ")" * 2000, "a " * 2000, "天" * 5000]),
    )


def _mostly(usual: st.SearchStrategy[Any], unusual: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Draw ``usual`` about seven times in eight, so that most requests pass
    CKAN's own validation and reach the search backend."""
    # st.one_of(usual, usual, ...) does not weight its branches; drawing the
    # branch from a sampled list does.
    return st.sampled_from([True] * 7 + [False]).flatmap(lambda pick: usual if pick else unusual)


def _number() -> st.SearchStrategy[Any]:
    return _mostly(
        st.integers(min_value=0, max_value=50),
        st.one_of(
            st.integers(min_value=-10**30, max_value=10**30),
            st.sampled_from([-1, 2**31, 2**63, -2**63, "1e3", "ten", "", "  ", " 5", "0x10"]),
        ),
    )


def _sort(surrogates: bool) -> st.SearchStrategy[str]:
    clause = st.builds(
        lambda f, d: ("%s %s" % (f, d)).strip(),
        st.sampled_from(FIELDS + ["score", "title_string", "name", "metadata_modified"]),
        st.sampled_from(SORT_DIRECTIONS),
    )
    return st.one_of(st.lists(clause, min_size=1, max_size=3).map(", ".join), _text(surrogates))


def _field_list(surrogates: bool) -> st.SearchStrategy[Any]:
    names = st.lists(st.one_of(st.sampled_from(FIELDS), _text(surrogates)), max_size=4)
    return _mostly(names.map(json.dumps), st.one_of(names.map(",".join), _text(surrogates)))


def search_params(surrogates: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Parameters of one package_search request; ``surrogates`` is False for
    HTTP, whose query strings are bytes and cannot carry them."""
    return st.fixed_dictionaries({}, optional={
        "q": _query(surrogates),
        "fq": _query(surrogates),
        "sort": _sort(surrogates),
        "rows": _number(),
        "start": _number(),
        "facet.field": _field_list(surrogates),
        "facet.limit": _number(),
        "facet.mincount": _number(),
        "fl": _field_list(surrogates),
        "defType": st.sampled_from(["lucene", "dismax", "edismax", "bool", "knn", "", "x"]),
        "mm": st.sampled_from(["2<-1 5<80%", "1", "-1", "75%", "<", "x%", "3<", ""]),
        "qf": st.sampled_from(["title^4 name", "text", "no_such_field", "title;x", "^"]),
        "df": st.sampled_from(["text", "title", "name", "bad field", ""]),
    })


# Hand-picked inputs, run on every test run in addition to the generated ones.
EDGE_CASES = [
    {"q": '"unbalanced'}, {"q": "title:(a OR b"}, {"q": "a)"}, {"q": ":"},
    {"q": "x" * 10000}, {"fq": "name:" + "y" * 10000}, {"rows": -1}, {"start": -5},
    {"rows": 10**30}, {"start": 10**30}, {"facet.limit": 10**30},
    {"start": ""}, {"rows": "  "}, {"facet.mincount": ""}, {"facet.limit": ""},
    {"q": "no_such_field:x"}, {"sort": "no_such_field asc"},
    {"facet.field": '["no_such_field"]'}, {"fl": "no_such_field"},
    {"q": "'; DROP TABLE package; --"}, {"fq": "name:'; DELETE FROM package; --"},
    {"q": "a\x00b"}, {"fq": "\x00"}, {"sort": "name\x00 asc"},
    {"q": "\u202e\ufeff\u3000"}, {"q": "𠀀𠀁"}, {"q": "--included"},
    {"q": "metadata_modified:[NOW-99999999999YEARS TO NOW]"},
    {"q": "(" * 2000 + "a" + ")" * 2000},
]


@pytest.fixture
def datasets() -> dict[str, Any]:
    """One public and one private dataset, the latter invisible to anonymous users."""
    org = factories.Organization(name="tj-health")
    public = factories.Dataset(title="公开医院名录 hospital list", owner_org=org["id"])
    private = factories.Dataset(title=PRIVATE_TITLE, owner_org=org["id"], private=True)
    return {"public": public, "private": private}


def _assert_no_database_text(message: str) -> None:
    for marker in DATABASE_TEXT:
        assert marker not in message, message


class TestPackageSearchRobustness:
    def test_action_accepts_or_rejects_cleanly(self, datasets):
        private = datasets["private"]

        @SETTINGS
        @given(search_params(surrogates=True))
        def check(params):
            try:
                result = helpers.call_action(
                    "package_search", context={"user": "", "ignore_auth": False}, **params
                )
            except ValidationError as error:
                assert error.error_dict, params
                _assert_no_database_text(str(error.error_dict))
                return
            except SearchError as error:
                assert str(error), params
                _assert_no_database_text(str(error))
                return

            assert result["count"] >= len(result["results"])
            assert private["id"] not in json.dumps(result, default=str)
            assert PRIVATE_TITLE not in json.dumps(result, ensure_ascii=False, default=str)

        for case in EDGE_CASES:
            example(case)(check)
        check()

    def test_api_answers_200_400_or_409(self, app, datasets):
        private = datasets["private"]

        @SETTINGS
        @given(search_params(surrogates=False))
        def check(params):
            response = app.get("/api/3/action/package_search", query_string=params)

            assert response.status_code in (200, 400, 409), (params, response.body[:500])
            body = response.json
            if response.status_code == 200:
                assert body["success"] is True
                assert private["id"] not in response.body
                assert PRIVATE_TITLE not in response.body
                return
            assert body["success"] is False
            error = body["error"]
            assert error["__type"], params
            assert error.get("message") or len(error) > 1, params
            _assert_no_database_text(json.dumps(error, ensure_ascii=False))

        check()

    def test_api_edge_cases(self, app, datasets):
        for params in EDGE_CASES:
            if any(isinstance(v, str) and "\ud800" in v for v in params.values()):
                continue
            response = app.get("/api/3/action/package_search", query_string=params)

            assert response.status_code in (200, 400, 409), (params, response.body[:500])
            assert datasets["private"]["id"] not in response.body
            if response.status_code != 200:
                _assert_no_database_text(json.dumps(response.json["error"], ensure_ascii=False))
