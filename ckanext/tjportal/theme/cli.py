"""The ``ckan tjportal`` command group."""
from __future__ import annotations

import pathlib

import click

import ckan.plugins as plugins
import ckan.plugins.toolkit as tk

from ckanext.tjportal.theme import faq_loader, loader

# The cli blanket collects plain functions unless __all__ names the commands,
# and a click group is not a function.
__all__ = ["tjportal"]

# demo/tj-catalog in a source checkout; an installed wheel does not ship it.
DEFAULT_CATALOGUE = pathlib.Path(__file__).resolve().parents[3] / "demo" / "tj-catalog"
# The FAQ file sits next to the catalogue folder: demo/faq.csv.
FAQ_FILE_NAME = "faq.csv"


@click.group(short_help="Tianjin portal commands")
def tjportal() -> None:
    """Commands of the Tianjin open-data portal."""


@tjportal.command("load-demo")
@click.argument("path", required=False, type=click.Path(path_type=pathlib.Path))
@click.option("--faq", "faq_path", type=click.Path(path_type=pathlib.Path),
              help="CSV file of FAQ questions to load (default: faq.csv next to the catalogue folder).")
def load_demo(path: pathlib.Path | None, faq_path: pathlib.Path | None) -> None:
    """Load the demo catalogue in PATH (default: demo/tj-catalog) and the FAQ.

    Creates departments, topics, datasets and DataStore-backed data services,
    and updates those that already exist. Then adds or updates the FAQ
    questions if the tjportal_feedback plugin is loaded. Exits with status 1
    if any row failed, and with status 2 if PATH is not a folder or the FAQ
    file given with --faq does not exist.
    """
    folder = path or DEFAULT_CATALOGUE
    if not folder.is_dir():
        tk.error_shout(
            tk._("Catalogue folder not found: {path}. Give the path of a "
                 "tj-catalog folder.").format(path=folder))
        raise click.exceptions.Exit(2)
    if faq_path is not None and not faq_path.is_file():
        tk.error_shout(tk._("FAQ file not found: {path}. Give the path of a CSV file.").format(path=faq_path))
        raise click.exceptions.Exit(2)

    report = loader.load_catalogue(folder)
    _load_faq(report, faq_path or folder.parent / FAQ_FILE_NAME)

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


def _load_faq(report: loader.LoadReport, path: pathlib.Path) -> None:
    """Add the FAQ file's counts and problems to ``report``, or print why it is skipped."""
    if not plugins.plugin_loaded(faq_loader.FAQ_PLUGIN):
        click.echo(tk._("FAQ skipped: the tjportal_feedback plugin is not enabled."))
        return
    if not path.is_file():
        click.echo(tk._("FAQ skipped: {path} not found.").format(path=path))
        return

    faq_report = faq_loader.load_faq(path)
    report.steps.update(faq_report.steps)
    report.problems.extend(faq_report.problems)
