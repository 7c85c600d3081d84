"""The ``ckan tjportal-developer`` command group."""
from __future__ import annotations

import click

import ckan.plugins.toolkit as tk

# The cli blanket registers the members named here; without __all__ it would
# take every function of the module, which are click objects here.
__all__ = ["tjportal_developer"]


@click.group(name="tjportal-developer", short_help="Developer registrations and metering")
def tjportal_developer() -> None:
    """Manage developer registrations and metered data-service usage."""


@tjportal_developer.command("flush-usage")
def flush_usage() -> None:
    """Write the usage counters buffered in Redis to PostgreSQL."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    result = tk.get_action("tjportal_developer_usage_flush")({"user": site_user["name"]}, {})
    click.secho("Wrote {} usage rows.".format(result["rows"]), fg="green")
