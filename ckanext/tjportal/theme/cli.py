"""The ``ckan tjportal`` command group."""
from __future__ import annotations

import click


@click.group(short_help="Tianjin portal commands")
def tjportal() -> None:
    """Commands of the Tianjin open-data portal."""
