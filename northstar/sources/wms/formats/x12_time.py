"""X12 dates, times and time codes to UTC: the one place a sender's clock is read.

An X12 date (element 373, CCYYMMDD) and time (element 337, HHMM, HHMMSS, HHMMSSD or HHMMSSDD: D and DD
are tenths and hundredths of a second) carry no zone of their own. Where the segment has a time code
(DTM04 in the 856's DTM, G62-05 in the 945's G62: element 623 "Time Code"), the code says how the time
relates to UTC. Element 623 as published by X12 (read in Stedi's X12 reference,
https://stedi.com/edi/x12-004010/element/623 for release 004010 and https://stedi.com/edi/x12/element/623
for the current release):

    "Code identifying the time. In accordance with International Standards Organization standard 8601,
    time can be specified by a + or - and an indication in hours in relation to Universal Time
    Coordinate (UTC) time; since + is a restricted character, + and - are substituted by P and M in the
    codes that follow"

- 01..12 "Equivalent to ISO P01" .. "P12": UTC+01:00 .. UTC+12:00; 13..24 "Equivalent to ISO M12" ..
  "M01": UTC-12:00 .. UTC-01:00 (every release since 003010); 25..29 (current release only) M2:30, M3:30,
  P5:30, P9:30, P10:30.
- UT (Universal Time Coordinate), GM (Greenwich Mean Time): UTC. `Z` is not an element-623 code (codes are
  two characters) but ISO 8601's designator for UTC; some senders write it, and it is read as UTC.
- Standard and daylight codes are fixed offsets: ES/ED Eastern -05:00/-04:00, CS/CD Central -06:00/-05:00,
  MS/MD Mountain -07:00/-06:00, PS/PD Pacific -08:00/-07:00, AS/AD Alaska -09:00/-08:00, HS/HD
  Hawaii-Aleutian -10:00/-09:00, NS/ND Newfoundland -03:30/-02:30.
- ET, CT, MT, PT, AT, NT ("Eastern Time", ...) are the zone's clock on that date, standard or daylight as
  the zone observed it (America/New_York, America/Chicago, America/Denver, America/Los_Angeles,
  America/Anchorage, America/St_Johns). A clock time that zone skipped (the spring-forward hour) or
  showed twice (the fall-back hour) is not guessed: the line is quarantined, naming the code.
- HT (Hawaii-Aleutian Time) is not one clock (Hawaii keeps standard time all year, the Aleutians do not),
  and LT (Local Time) names no place: both are refused like an unknown code.
- No code: the time is UTC, by agreement with the senders (README, "Fulfillment").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo


def _fixed(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


# Element 623 codes with a fixed offset from UTC.
FIXED_OFFSETS: dict[str, timezone] = {
    **{f"{h:02d}": _fixed(h) for h in range(1, 13)},  # 01 = ISO P01 ... 12 = ISO P12
    **{f"{12 + k:02d}": _fixed(-(13 - k)) for k in range(1, 13)},  # 13 = ISO M12 ... 24 = ISO M01
    "25": _fixed(-2.5),
    "26": _fixed(-3.5),
    "27": _fixed(5.5),
    "28": _fixed(9.5),
    "29": _fixed(10.5),
    "UT": UTC,
    "GM": UTC,
    "Z": UTC,
    "ES": _fixed(-5),
    "ED": _fixed(-4),
    "CS": _fixed(-6),
    "CD": _fixed(-5),
    "MS": _fixed(-7),
    "MD": _fixed(-6),
    "PS": _fixed(-8),
    "PD": _fixed(-7),
    "AS": _fixed(-9),
    "AD": _fixed(-8),
    "HS": _fixed(-10),
    "HD": _fixed(-9),
    "NS": _fixed(-3.5),
    "ND": _fixed(-2.5),
}
# Element 623 codes naming a zone's clock, standard or daylight by date.
ZONE_CLOCKS: dict[str, str] = {
    "ET": "America/New_York",
    "CT": "America/Chicago",
    "MT": "America/Denver",
    "PT": "America/Los_Angeles",
    "AT": "America/Anchorage",
    "NT": "America/St_Johns",
}
REFUSED = {"LT": "Local Time names no place", "HT": "Hawaii-Aleutian Time is two different clocks"}


def x12_datetime(date: str, time: str, code: str, what: str) -> tuple[str | None, str | None]:
    """(ISO-8601 UTC text, None) for an X12 date, time and time code; (None, reason) when it cannot be read.

    date: CCYYMMDD; time: "" or HHMM[SS[D[D]]]; code: "" or an element-623 time code (see the module). `what`
    names the source for the reason ("DTM*011"). An empty date gives (None, None): no value, no error.
    """
    if not date:
        return None, None
    if len(date) != 8 or not date.isdigit():
        return None, f"shipped_at: {what} date {date!r} is not CCYYMMDD"
    if time and (not time.isdigit() or len(time) not in (4, 6, 7, 8)):
        return None, f"shipped_at: {what} time {time!r} is not HHMM, HHMMSS, HHMMSSD or HHMMSSDD"
    clock = (time + "000000")[:6]
    fraction = time[6:8].ljust(2, "0") if len(time) > 6 else "00"
    try:
        local = datetime(
            int(date[:4]), int(date[4:6]), int(date[6:]),
            int(clock[:2]), int(clock[2:4]), int(clock[4:]), int(fraction) * 10_000,
        )  # fmt: skip
    except ValueError:
        return None, f"shipped_at: {what} {date} {time} is not a calendar date and time"
    moment, error = _to_utc(local, code.strip().upper(), what)
    return (moment.isoformat(), None) if moment else (None, error)


def _to_utc(local: datetime, code: str, what: str) -> tuple[datetime | None, str | None]:
    """The moment a sender's clock reading means under a time code, or why it cannot be told."""
    if not code:
        return local.replace(tzinfo=UTC), None
    if code in FIXED_OFFSETS:
        return local.replace(tzinfo=FIXED_OFFSETS[code]).astimezone(UTC), None
    if code in ZONE_CLOCKS:
        zone = ZoneInfo(ZONE_CLOCKS[code])
        first, second = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
        if first.utcoffset() != second.utcoffset():
            back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
            how = "does not exist" if back != local else "happened twice"
            return None, (
                f"shipped_at: {what} time code {code!r} ({ZONE_CLOCKS[code]}): {local:%Y-%m-%d %H:%M} {how} on "
                "that clock (a daylight-saving change); the standard or daylight code says which"
            )
        return first.astimezone(UTC), None
    why = REFUSED.get(code, "not a time code of X12 element 623 that Northstar reads")
    return None, f"shipped_at: {what} time code {code!r}: {why}"
