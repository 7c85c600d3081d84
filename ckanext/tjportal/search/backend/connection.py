"""Placeholder: replaced by the PostgreSQL connection shortly."""


def install() -> None:
    pass
