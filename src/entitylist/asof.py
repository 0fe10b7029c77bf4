"""The as_of parameter: render the story as it stood on a date."""

import datetime as dt

from entitylist.errors import ParameterError


def parse(as_of: str | None) -> dt.date | None:
    """Turn as_of into a date, or None for the newest data; name the parameter if invalid."""
    if not as_of:
        return None
    try:
        return dt.date.fromisoformat(as_of)
    except ValueError:
        msg = f"as_of={as_of!r}: expected a date as YYYY-MM-DD, or empty for the newest data"
        raise ParameterError(msg) from None
