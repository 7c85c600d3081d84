"""The theme and schemas work on a Solr-backed site, without tjportal_search.

The search plugin patches CKAN for the rest of its process, so this check
starts a separate Python process with its own plugin list.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CHECK = textwrap.dedent(
    """
    import json, sys
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    config = load_config(sys.argv[1])
    config["ckan.plugins"] = "tjportal scheming_datasets"
    # No Solr runs here: indexing is switched off, as on a site whose Solr is down.
    config["ckan.search.automatic_indexing"] = "false"
    app = make_app(config)

    import ckan.lib.search.common as common
    import ckan.plugins as plugins
    import ckan.plugins.toolkit as tk
    from ckan.lib.plugins import lookup_package_plugin

    with app._wsgi_app.test_request_context():
        dataservice_schema = tk.get_action("scheming_dataset_schema_show")(
            {}, {"type": "dataservice"})
        print(json.dumps({
            "search_plugin_loaded": plugins.plugin_loaded("tjportal_search"),
            "connection_module": common.make_connection.__module__,
            "dataservice_fields": [f["field_name"] for f in dataservice_schema["dataset_fields"]],
            "dataservice_plugin": type(lookup_package_plugin("dataservice")).__name__,
        }))
    """
)


@pytest.fixture
def ckan_ini(request):
    return os.path.abspath(request.config.getoption("ckan_ini"))


def test_theme_loads_without_search_plugin(ckan_ini):
    result = subprocess.run(
        [sys.executable, "-c", CHECK, ckan_ini],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["search_plugin_loaded"] is False
    assert report["connection_module"] == "ckan.lib.search.common"
    assert "open_condition" in report["dataservice_fields"]
    assert "update_frequency" in report["dataservice_fields"]
    assert report["dataservice_plugin"] == "SchemingDatasetsPlugin"
