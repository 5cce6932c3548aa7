"""The words a too-long text is refused with, as a person reads them on the page and in the API."""


def too_long(what: str, limit: int, length: int | None = None) -> str:
    has = f"{length:,} characters, " if length is not None else ""
    return f"{what} is too long: {has}at most {limit:,} characters."
