"""Packaging for ckanext-tjportal.

The top-level ``schemas/`` and ``i18n/`` folders are reached from the package
through the symlinks ``ckanext/tjportal/schemas`` and ``ckanext/tjportal/i18n``,
so ``ckanext.tjportal:schemas/...`` resolves the same way from a checkout and
from an installed wheel (setuptools copies the linked files into the wheel).
"""
from setuptools import find_namespace_packages, setup

setup(
    name="ckanext-tjportal",
    version="0.1.0",
    description="CKAN plugins for the Tianjin public-data open platform",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="AGPL-3.0-or-later",
    python_requires=">=3.10",
    packages=find_namespace_packages(include=["ckanext", "ckanext.tjportal*"]),
    include_package_data=True,
    package_data={
        "ckanext.tjportal": [
            "schemas/*.yaml",
            "schemas/*.json",
            "i18n/*.pot",
            "i18n/*/LC_MESSAGES/*.po",
            "i18n/*/LC_MESSAGES/*.mo",
            "*/config_declaration.yaml",
            "*/templates/**/*.html",
            "*/assets/**/*",
            "*/public/**/*",
            "*/data/*",
            "migration/*/*.ini",
            "migration/*/*.py",
            "migration/*/*.mako",
            "migration/*/versions/*.py",
        ],
    },
    install_requires=[
        "ckanext-scheming>=3.1",
        "jieba>=0.42",
        "luqum>=1.0",
        "openpyxl>=3.1",
        "pypinyin>=0.50",
        "qrcode>=8.0",
        "rjieba>=0.2",
    ],
    entry_points={
        "ckan.plugins": [
            "tjportal = ckanext.tjportal.theme.plugin:TjportalPlugin",
            "tjportal_search = ckanext.tjportal.search.plugin:TjportalSearchPlugin",
            "tjportal_developer = ckanext.tjportal.developer.plugin:TjportalDeveloperPlugin",
            "tjportal_downloads = ckanext.tjportal.downloads.plugin:TjportalDownloadsPlugin",
            "tjportal_feedback = ckanext.tjportal.feedback.plugin:TjportalFeedbackPlugin",
        ],
        "babel.extractors": [
            "ckan = ckan.lib.extract:extract_ckan",
        ],
    },
    message_extractors={
        "ckanext": [
            ("**.py", "python", None),
            ("**.js", "javascript", None),
            ("**/templates/**.html", "ckan", None),
        ],
    },
)
