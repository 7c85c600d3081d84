"""The ``ckan tjportal`` command group."""
from __future__ import annotations

import pathlib

import click

import ckan.plugins.toolkit as tk

from ckanext.tjportal.theme import loader

# The cli blanket collects plain functions unless __all__ names the commands,
# and a click group is not a function.
__all__ = ["tjportal"]

# demo/tj-catalog in a source checkout; an installed wheel does not ship it.
DEFAULT_CATALOGUE = pathlib.Path(__file__).resolve().parents[3] / "demo" / "tj-catalog"


@click.group(short_help="Tianjin portal commands")
def tjportal() -> None:
    """Commands of the Tianjin open-data portal."""


@tjportal.command("load-demo")
@click.argument("path", required=False, type=click.Path(path_type=pathlib.Path))
def load_demo(path: pathlib.Path | None) -> None:
    """Load the demo catalogue in PATH (default: demo/tj-catalog).

    Creates departments, topics, datasets and DataStore-backed data services,
    and updates those that already exist. Exits with status 1 if any row
    failed, and with status 2 if PATH is not a folder.
    """
    folder = path or DEFAULT_CATALOGUE
    if not folder.is_dir():
        tk.error_shout(
            tk._("Catalogue folder not found: {path}. Give the path of a "
                 "tj-catalog folder.").format(path=folder))
        raise click.exceptions.Exit(2)

    report = loader.load_catalogue(folder)

    for problem in report.problems:
        if problem.line:
            message = tk._("{file}, line {line}: {reason}")
        else:
            message = tk._("{file}: {reason}")
        tk.error_shout(message.format(
            file=problem.file, line=problem.line, reason=problem.reason))
    for name, counts in report.steps.items():
        click.echo(tk._("{name}: {loaded} loaded, {updated} updated, {failed} failed").format(
            name=name, loaded=counts.loaded, updated=counts.updated, failed=counts.failed))
    total = report.total()
    click.echo(tk._("Total: {loaded} loaded, {updated} updated, {failed} failed").format(
        loaded=total.loaded, updated=total.updated, failed=total.failed))
    if total.failed:
        raise click.exceptions.Exit(1)
