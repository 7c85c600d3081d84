"""The ``ckan tjportal-downloads`` command group."""
from __future__ import annotations

import click

import ckan.plugins.toolkit as tk

# The cli blanket registers the members named here; without __all__ it would
# take every function of the module, which are click objects here.
__all__ = ["tjportal_downloads"]


@click.group(name="tjportal-downloads", short_help="Download counts")
def tjportal_downloads() -> None:
    """Manage the download counts of resources."""


@tjportal_downloads.command("flush")
def flush() -> None:
    """Write the download counts buffered in Redis to PostgreSQL."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    result = tk.get_action("tjportal_download_count_flush")({"user": site_user["name"]}, {})
    click.secho("Wrote {} download count rows.".format(result["rows"]), fg="green")
