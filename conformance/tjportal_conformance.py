"""Pytest plugin that runs CKAN 2.12.0's own search tests against tjportal_search.

``conformance/pytest.ini`` loads it with ``-p``. It fills in what the CKAN
wheel lacks compared with CKAN's source tree:

* the search table of our plugin, which CKAN's database reset drops
  (see :func:`reset_db`);
* the schema files that ``ckan/tests/lib/search/test_search.py`` reads from a
  ``data`` folder the wheel does not ship (``conformance/data``);
* the tests that only inspect Solr itself, deselected from
  ``conformance/exclusions.txt``.

The test plugins that the wheel registers under the missing module
``tests.plugins.ckantestplugins`` come from ``conformance/tests/plugins``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

import ckan
import ckanext.tjportal.migration
from ckan.common import config
from ckan.tests import helpers

HERE = Path(__file__).resolve().parent
EXCLUSIONS_FILE = HERE / "exclusions.txt"
SCHEMA_DATA_DIR = HERE / "data"
# Folder that contains the ``ckan`` package. Test ids in exclusions.txt are
# relative to it, e.g. ``ckan/tests/lib/search/test_index.py::test_x``.
CKAN_ROOT = Path(ckan.__file__).resolve().parent.parent
SEARCH_TABLE = "tjportal_search_document"
SEARCH_MIGRATIONS = (
    Path(ckanext.tjportal.migration.__file__).resolve().parent / "tjportal_search"
)


def _upgrade_search_schema() -> None:
    """Apply the alembic revisions of tjportal_search, as
    ``ckan db upgrade -p tjportal_search`` does.

    The configuration is built in memory rather than read from the revision
    folder's alembic.ini, so that the migration leaves the logging setup of
    the test process alone.
    """
    alembic_config = Config()
    alembic_config.set_main_option("script_location", str(SEARCH_MIGRATIONS))
    alembic_config.set_main_option(
        "sqlalchemy.url", config["sqlalchemy.url"].replace("%", "%%")
    )
    command.upgrade(alembic_config, "head")


class _DatabaseFixtures:
    """Fixtures that replace CKAN's own; see :func:`pytest_configure`."""

    @pytest.fixture(scope="session")
    def reset_db(self) -> Callable[[], None]:
        """Reset CKAN's database like CKAN's fixture, then restore our search table.

        CKAN's ``clean_db`` and ``non_clean_db`` both reset through this
        session fixture. The first reset of a session drops every table,
        ours included. Later resets only delete the rows of the tables in
        CKAN's metadata, so our table keeps its rows, as a Solr core keeps
        its documents, and tests empty it through ``clean_index``.
        Re-applying our alembic revisions here, after the drop, keeps the
        backend free of any code that creates tables, so production runs
        the same code as the tests.
        """

        def reset() -> None:
            helpers.reset_db()
            from ckan.model import meta

            if not sa.inspect(meta.engine).has_table(SEARCH_TABLE):
                _upgrade_search_schema()

        return reset


# Seed of the fake data of CKAN's factories; see :func:`pytest_sessionstart`.
FAKER_SEED = 2012


def pytest_sessionstart(session: pytest.Session) -> None:
    """Seed the random text of CKAN's factories, so that every run creates the same data.

    Unseeded, a dataset's random English description sometimes contains a
    word a test searches for. ``test_search_index_rebuild`` expects no match
    for "After" before the rebuild, and it failed when the description of its
    dataset contained "after". Solr indexes the description too.
    """
    import factory.random

    from ckan.tests import factories

    factories.fake.seed_instance(FAKER_SEED)
    factory.random.reseed_random(FAKER_SEED)


def pytest_configure(config: pytest.Config) -> None:
    # Pytest registers ``-p`` plugins before the entry-point plugins, where
    # CKAN's fixtures come from, and the fixture registered last wins.
    # Registering the replacements now puts them after CKAN's.
    config.pluginmanager.register(_DatabaseFixtures(), "tjportal_conformance_fixtures")


def _test_id(item: pytest.Item) -> str:
    """Return ``ckan/tests/...py::Class::test`` for an item of CKAN's test suite."""
    try:
        path = item.path.resolve().relative_to(CKAN_ROOT).as_posix()
    except ValueError:
        path = item.path.as_posix()
    return "%s::%s" % (path, item.nodeid.split("::", 1)[1])


def _read_exclusions() -> dict[str, str]:
    """Return {test id: reason} from exclusions.txt (``id  # reason`` lines)."""
    exclusions: dict[str, str] = {}
    for number, line in enumerate(EXCLUSIONS_FILE.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        test_id, _, reason = line.partition("#")
        if not reason.strip():
            raise pytest.UsageError(
                "%s:%d: every exclusion needs a reason after '#'" % (EXCLUSIONS_FILE, number)
            )
        exclusions[test_id.strip()] = reason.strip()
    return exclusions


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    exclusions = _read_exclusions()
    selected: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    found: set[str] = set()
    for item in items:
        test_id = _test_id(item)
        # An entry without parameters also excludes every parametrized case.
        base_id = test_id.split("[", 1)[0]
        for candidate in (test_id, base_id):
            if candidate in exclusions:
                found.add(candidate)
                deselected.append(item)
                break
        else:
            selected.append(item)
        module = getattr(item, "module", None)
        if module is not None and module.__name__ == "ckan.tests.lib.search.test_search":
            module.data_dir = str(SCHEMA_DATA_DIR)

    # A stale entry would silently stop excluding anything, so it fails a
    # full run. Runs of a subset (named modules, -k, -m) skip this check.
    missing = set(exclusions) - found
    full_run = (
        config.args_source == pytest.Config.ArgsSource.TESTPATHS
        and not config.option.keyword
        and not config.option.markexpr
    )
    if missing and full_run:
        raise pytest.UsageError(
            "exclusions.txt names tests that were not collected:\n  "
            + "\n  ".join(sorted(missing))
        )
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def pytest_report_header(config: pytest.Config) -> str:
    return "tjportal conformance: exclusions from %s" % os.path.relpath(EXCLUSIONS_FILE)
