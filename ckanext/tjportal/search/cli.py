"""The ``ckan tjportal-search`` command group."""
from __future__ import annotations

import time

import click

# The cli blanket registers the members named here; without __all__ it would
# take every function of the module, which are click objects here.
__all__ = ["tjportal_search"]


@click.group(name="tjportal-search", short_help="PostgreSQL search index")
def tjportal_search() -> None:
    """Manage the PostgreSQL search index of the tjportal_search plugin."""


@tjportal_search.command("rebuild")
@click.option("-w", "--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="Number of worker processes; each indexes its share of the datasets.")
def rebuild(workers: int) -> None:
    """Index every dataset again, in parallel, and delete documents of removed datasets.

    The documents are the same as those of `ckan search-index rebuild`.
    """
    from ckanext.tjportal.search import rebuild as parallel_rebuild

    start = time.perf_counter()
    try:
        count = parallel_rebuild.rebuild(workers)
    except RuntimeError as error:
        raise click.ClickException(str(error))
    seconds = time.perf_counter() - start
    click.secho("Indexed {} datasets in {:.0f} s ({:.0f} datasets/s).".format(
        count, seconds, count / seconds if seconds else 0), fg="green")
