"""SMPP 3.4 time strings (§7.1.1): validity_period and schedule_delivery_time to epoch seconds."""

from __future__ import annotations

import calendar


def validity_end(value: str, now: float) -> float | None:
    """When a validity period ends: None for an empty string (the SMSC default, no limit);
    ValueError for a malformed one. Absolute `YYMMDDhhmmsstnnp` (p `+`/`-`: nn quarter hours
    ahead of/behind UTC) or relative `YYMMDDhhmmss000R`."""
    if not value:
        return None
    if len(value) != 16 or not value[:15].isdigit() or value[15] not in "+-R":
        raise ValueError(f"{value!r} is not an SMPP time")
    yy, mo, dd, hh, mi, ss = (int(value[i:i + 2]) for i in range(0, 12, 2))
    if value[15] == "R":  # relative: years and months as 365 and 30 days
        return now + ((yy * 365 + mo * 30 + dd) * 24 + hh) * 3600 + mi * 60 + ss
    if not (1 <= mo <= 12 and 1 <= dd <= 31 and hh < 24 and mi < 60 and ss < 60):
        raise ValueError(f"{value!r} is not a valid date")
    local = calendar.timegm((2000 + yy, mo, dd, hh, mi, ss, 0, 0, 0)) + int(value[12]) / 10
    offset = int(value[13:15]) * 900
    return local - offset if value[15] == "+" else local + offset
