"""Dates as front matter writes them."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from typing import Any


_DATE_RE = re.compile(
    r"""(\d{4})[-/](\d{1,2})[-/](\d{1,2})
    (?:(?:[Tt]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?
       \s*(?:(Z|z|UTC|GMT)|([+-])(\d{1,2})(?::?(\d{2}))?)?
    )?""",
    re.VERBOSE,
)
_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y")


def parse_date(value: Any) -> dt.datetime | None:
    """A datetime from front matter, or None when there is no usable one.

    Accepts datetime/date objects (YAML, TOML) and strings: ISO 8601 with or
    without offset ("2017-01-05T09:00:00-05:00", "…Z"), "2015-12-14 1:00:28
    -0400" (one-digit hour, offset without colon), bare dates, RFC 2822 and
    "January 5, 2017".  Tz-aware only when the source gave an offset.
    A date that cannot be told in UTC (``9999-12-31T23:59:59-14:00`` is in
    year 10000 there) is no usable date either: sorting and expiry compare
    in UTC (it made the whole reindex fail with OverflowError).
    """
    return _in_utc_range(_parse(value))


def _in_utc_range(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is not None:
        try:
            value.astimezone(dt.timezone.utc)
        except OverflowError:
            return None
    return value


def _parse(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 100:
        return None
    match = _DATE_RE.fullmatch(text)
    if match:
        return _date_from_match(match)
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is not None:
        return parsed
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _date_from_match(match: re.Match) -> dt.datetime | None:
    year, month, day, hour, minute, second, fraction, utc, sign, off_h, off_m = match.groups()
    try:
        tz = None
        if utc:
            tz = dt.timezone.utc
        elif sign:
            offset = dt.timedelta(hours=int(off_h), minutes=int(off_m or 0))
            tz = dt.timezone(-offset if sign == "-" else offset)
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return dt.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro, tzinfo=tz
        )
    except ValueError:  # month 13, hour 25, offset >= 24 h...
        return None


def as_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)
