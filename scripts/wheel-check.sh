#!/usr/bin/env bash
# Build the wheel, install it with its dependencies into a scratch virtualenv
# and check that the installed package is complete: the plugins load, and the
# scheming schemas, the compiled zh_Hans_CN catalogue, the theme's templates
# and assets are inside it.
#
#   scripts/wheel-check.sh [INI]
#
# INI (default test.ini) must name initialised databases, because loading the
# plugins starts CKAN; `make test-db` prepares those of test.ini.
set -euo pipefail
cd "$(dirname "$0")/.."
ini=$(realpath "${1:-test.ini}")
python=${PYTHON:-.venv/bin/python}
constraints=$(realpath requirements/constraints.txt)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "Building the wheel"
if ! "$python" -m build --wheel --outdir "$work/dist" . >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    echo "error: building the wheel failed" >&2
    exit 1
fi
wheel=$(ls "$work"/dist/*.whl)
echo "Built $(basename "$wheel")"

echo "Installing it with CKAN into $work/venv"
"$python" -m venv "$work/venv"
# pip's cache is used, so the packages `make install` fetched are not
# downloaded again.
if ! "$work/venv/bin/pip" install -q --constraint "$constraints" \
        -r requirements/base.txt "$wheel" >"$work/pip.log" 2>&1; then
    cat "$work/pip.log" >&2
    echo "error: installing the wheel failed" >&2
    exit 1
fi

echo "Checking the installed package"
# Run from the scratch folder so the checkout is not on sys.path.
cd "$work"
"$work/venv/bin/python" - "$ini" <<'PY'
import pathlib
import sys

from babel.support import Translations

import ckanext.tjportal

package = pathlib.Path(ckanext.tjportal.__file__).parent
if "site-packages" not in package.parts:
    sys.exit(f"error: ckanext.tjportal was imported from {package}, not from the wheel")

problems = []
schemas = {path.name for path in (package / "schemas").glob("*.yaml")}
for name in ("dataset.yaml", "dataservice.yaml"):
    if name not in schemas:
        problems.append(f"schemas/{name} is missing")

# Files the plugins read at run time, besides the schemas.
for name in (
    "theme/config_declaration.yaml",
    "theme/templates/home/index.html",
    "theme/templates/tjportal/theme/home/main.html",
    "theme/assets/webassets.yml",
    "theme/assets/css/theme.css",
):
    if not (package / name).is_file():
        problems.append(f"{name} is missing")

catalogue = package / "i18n" / "zh_Hans_CN" / "LC_MESSAGES" / "ckanext-tjportal.mo"
if not catalogue.is_file():
    problems.append(f"{catalogue.relative_to(package)} is missing")
else:
    with catalogue.open("rb") as stream:
        translated = Translations(stream).gettext("Topics")
    if translated != "主题":
        problems.append(f"the catalogue translates 'Topics' as {translated!r}, expected '主题'")

from ckan.cli import load_config
from ckan.config.middleware import make_app
import ckan.plugins as plugins

make_app(load_config(sys.argv[1]))
for name in ("tjportal", "tjportal_search", "scheming_datasets"):
    if not plugins.plugin_loaded(name):
        problems.append(f"plugin {name} did not load")

if problems:
    sys.exit("error: the installed wheel is incomplete:\n  " + "\n  ".join(problems))
print(f"OK: {package} has the schemas {sorted(schemas)}, the zh_Hans_CN catalogue, "
      "the theme's templates and assets, and its plugins load")
PY
