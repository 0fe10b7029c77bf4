"""The as_of parameter: render the story as it stood on a date."""

import datetime as dt

from entitylist.errors import ParameterError

# The story's data starts with the ZTE rule of March 2016; schemas.py checks dates against it.
FIRST_DATE = dt.date(2016, 1, 1)


def parse(as_of: str | None, today: dt.date | None = None) -> dt.date | None:
    """Turn --as-of into a date, or None for the newest data; refuse dates outside the data."""
    if not as_of:
        return None
    last = today or dt.date.today()
    valid = f"a date from {FIRST_DATE} to {last} (today), or none for the newest data"
    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        # pragma: no mutate start (a message's wording)
        msg = f"--as-of {as_of}: expected {valid}"
        # pragma: no mutate end
        raise ParameterError(msg) from None
    if day < FIRST_DATE:
        # pragma: no mutate start (a message's wording)
        msg = f"--as-of {as_of}: before the data, which starts on {FIRST_DATE}; use {valid}"
        # pragma: no mutate end
        raise ParameterError(msg)
    if day > last:
        # pragma: no mutate start (a message's wording)
        msg = f"--as-of {as_of}: in the future; use {valid}"
        # pragma: no mutate end
        raise ParameterError(msg)
    return day
