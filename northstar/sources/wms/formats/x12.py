"""ANSI X12 945 Warehouse Shipping Advice and 856 Ship Notice to shipment lines.

Delimiters (X12.5 interchange control structure): the ISA segment is fixed-width, 106 characters with its
terminator, its elements padded to their widths (ISA01 2, ISA02 10, ISA03 2, ISA04 10, ISA05 2, ISA06 15,
ISA07 2, ISA08 15, ISA09 6, ISA10 4, ISA11 1, ISA12 5, ISA13 9, ISA14 1, ISA15 1, ISA16 1). Its 4th
character is the element separator, ISA16 (the 105th) the sub-element (component) separator, the 106th the
segment terminator, and from version 00402 on ISA11 the repetition separator (before, ISA11 is the standards
identifier `U`). Any character may serve (`*`, `|`, `~`, `'`, a line feed...) as long as the delimiters
differ. Tolerated as senders write them: a terminator followed by CR, LF or CRLF (or the line feed as the
terminator itself), whitespace or a byte order mark before the ISA, whitespace, NUL or SUB (Ctrl-Z) after
the last IEA, segment ids and code values in lower case, several interchanges (ISA..IEA) one after another,
several groups (GS..GE) per interchange and several sets (ST..SE) per group, each with its own count.

The envelope is checked before anything is mapped, and any fault rejects the whole file; the reason codes
(stable: they are what QUARANTINE.WMS_FILES and the file checks carry) are:
- x12.isa: the file does not start with an ISA of 16 elements, or its delimiters are implausible (letters
  or digits, or two of them the same)
- x12.isa_not_fixed_width: the ISA's elements are not padded to their fixed widths (the detail names each
  one), so the ISA is not 106 characters and its delimiters cannot be located where the standard puts them
- x12.truncated: the last segment has no terminator (a complete IEA whose terminator alone is missing is
  read: nothing of the interchange is cut)
- x12.envelope: segments out of order (GS, ST, SE, GE, IEA), text after the last IEA, a 945 without W06 or
  an 856 without BSN
- x12.interchange_control_number (IEA02 = ISA13), x12.group_count (IEA01 = number of GS groups),
  x12.group_control_number (GE02 = GS06), x12.set_count (GE01 = number of ST sets),
  x12.set_control_number (SE02 = ST02), x12.segment_count (SE01 = segments from ST to SE inclusive)
- x12.unsupported_transaction: ST01 is neither 945 nor 856
- x12.control_total: 945 W03-01 (total units shipped) is not the sum of W12-03; 856 CTT01 (number of line
  items) is neither the number of item levels (HL*I) nor the number of HL segments (implementation guides
  define it both ways: the item count, or "the number of HL segments"), or 856 CTT02 (hash total,
  element 347) does not match SN1-02: X12 defines a hash total as the sum of the values "without regard
  to decimal points or signs", truncated to its leftmost digits beyond 10 digits; the plain sum of the
  quantities is accepted too
- x12.hl_structure: HL01 not numbered 1, 2, 3... or HL02 naming a level that is not an earlier one

Mapping, one shipment per transaction set:
- 945: W06-02 order id, W06-03 ship date, W06-04 shipment id; N1*SF|WH N1-04 warehouse code; N9*CN|2I
  tracking number; G62*11 shipped date, G62-04 time and G62-05 time code (else the W06 date); W27-02
  carrier (SCAC); LX-01 line number (W12s without LX are numbered in order); W12-01 status (CC, CS, CM and
  IS shipped; CP and BP partial; element 368); W12-03 units shipped; the sku is the product id after the
  first qualifier SK, VN, VP, BP or IN among W12-07/08, W12-17/18 (not when W12-01 is IS: then W12-17/18
  name the item ordered, not the one shipped) and W12-21/22.
- 856: BSN-02 shipment id, BSN-03/04 date and time; shipment level (HL*S): TD5-03 carrier, REF*2I|CN
  tracking number, N1*SF|WH N1-04 warehouse code, DTM*011 shipped date (DTM02), time (DTM03) and time code
  (DTM04), or DTM05 DT|D8 with DTM06, else the BSN's date and time; order: PRF-01 at the order level, else
  REF*PO|CO there, else PRF-01 at the shipment level (structures S, I without order levels); item level
  (HL*I): LIN-01 line number (optional: when empty, the item's place among the set's items, 1, 2...), the
  product id after the first qualifier SK, VN, VP, BP or IN among LIN's (qualifier, id) pairs, SN1-02 units
  shipped; status shipped. Pack and tare levels
  (HL*P, HL*T) between order and item are read past, as are TD1, MAN, PO4, PID and anything else.
- Units (element 382, type R) may carry a decimal point: "2.0" and "2." are 2; "2.5" is kept as written and
  quarantines its line (a fraction of a unit is not a shipped quantity).
- Dates and times: see x12_time.py (DTM04 and G62-05 time codes, element 623). Without a time code a
  time is UTC, by agreement with the senders.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from northstar.sources.wms.formats.lines import FileRejected, RawLine
from northstar.sources.wms.formats.x12_time import x12_datetime

FORMAT_945, FORMAT_856 = "x12-945", "x12-856"
ENVELOPE = frozenset({"ISA", "GS", "GE", "IEA", "ST", "SE"})
SKU_QUALIFIERS = frozenset({"SK", "VN", "VP", "BP", "IN"})
WAREHOUSE_ENTITIES = frozenset({"SF", "WH"})
TRACKING_QUALIFIERS = frozenset({"2I", "CN"})
ORDER_REF_QUALIFIERS = frozenset({"PO", "CO"})
STATUS_945 = {"CC": "shipped", "CS": "shipped", "CM": "shipped", "IS": "shipped", "CP": "partial", "BP": "partial"}
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)  # ISA01..ISA16 (X12.5)
ISA_LENGTH = 106  # "ISA", 16 separators, the elements' widths and the terminator
HASH_DIGITS = 10  # element 347 Hash Total: R, at most 10 digits
_TRAILER = " \t\r\n\x00\x1a"  # what may follow the last IEA: whitespace, NUL padding, a DOS end-of-file
_WHOLE_UNITS = re.compile(r"^\+?(\d+)(?:\.0*)?$")


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: its number in the file (ISA = 1), its id (ISA, ST, W12...), its elements (id first), its text."""

    number: int
    id: str
    elements: list[str]
    text: str

    def get(self, index: int) -> str:
        """Element `index` trimmed, or "" when the segment is shorter."""
        return self.elements[index].strip() if index < len(self.elements) else ""

    def code(self, index: int) -> str:
        """Element `index` as a code value (qualifier, status): trimmed and in upper case."""
        return self.get(index).upper()


@dataclass(frozen=True, slots=True)
class Delimiters:
    """An interchange's delimiters as its ISA declares them (repetition None before version 00402)."""

    element: str
    component: str
    terminator: str
    repetition: str | None


def parse_x12(text: str) -> list[RawLine]:
    """Every shipment line of every transaction set; FileRejected on any envelope or control-total fault."""
    lines: list[RawLine] = []
    for interchange in interchanges(text):
        for transaction in transaction_sets(interchange):
            lines.extend(MAPPERS[transaction[0].get(1)](transaction))
    return lines


def interchanges(text: str) -> list[list[Segment]]:
    """The file's interchanges (ISA..IEA), each split with its own ISA's delimiters; segments numbered on."""
    found: list[list[Segment]] = []
    rest, first = text.lstrip(), 1
    while True:
        segments, rest = split_segments(rest, first)
        found.append(segments)
        rest = rest.lstrip(_TRAILER)
        if not rest:
            return found
        if rest[:3].upper() != "ISA":
            raise FileRejected("x12.envelope", f"{rest[:20]!r} follows IEA (segment {segments[-1].number})")
        first = segments[-1].number + 1


def delimiters(text: str) -> Delimiters:
    """The delimiters the ISA at the start of text declares; FileRejected when the ISA cannot be trusted."""
    if len(text) < 4 or text[:3].upper() != "ISA":
        raise FileRejected("x12.isa", "the file does not start with a complete 106-character ISA segment")
    element = text[3]
    if element.isalnum() or element == " ":
        raise FileRejected("x12.isa", f"implausible element separator {element!r} after ISA")
    separators = [i for i, c in enumerate(text[:400]) if c == element][:16]
    if len(separators) < 16 or separators[15] + 2 >= len(text):
        raise FileRejected("x12.isa", "the file does not start with a complete 106-character ISA segment")
    elements = text[4 : separators[15] + 2].split(element)
    wrong = [
        f"ISA{n:02d} {value!r} is {len(value)} characters, not {width}"
        for n, (value, width) in enumerate(zip(elements, ISA_WIDTHS, strict=True), start=1)
        if len(value) != width
    ]
    if wrong:
        length = separators[15] + 3
        raise FileRejected(
            "x12.isa_not_fixed_width",
            f"the ISA is {length} characters, not the fixed {ISA_LENGTH}: {'; '.join(wrong)}",
        )
    component, terminator = text[104], text[105]
    repetition = text[82] if elements[11] >= "00402" and not text[82].isalnum() else None
    used = [d for d in (element, component, terminator, repetition) if d is not None]
    if any(d.isalnum() or d == " " for d in (terminator, component)) or len(set(used)) != len(used):
        raise FileRejected(
            "x12.isa",
            f"implausible delimiters: element {element!r}, component {component!r}, terminator {terminator!r}"
            + (f", repetition {repetition!r}" if repetition else "")
            + " (letters, digits or the same character twice)",
        )
    return Delimiters(element, component, terminator, repetition)


def split_segments(text: str, first: int = 1) -> tuple[list[Segment], str]:
    """The segments of the interchange at the start of text (numbered from `first`), and the text after its IEA."""
    found = delimiters(text)
    isa = text[: ISA_LENGTH - 1]  # by position: a delimiter character inside an ISA element cannot split it
    segments = [Segment(first, "ISA", isa.split(found.element), isa)]
    pieces = text[ISA_LENGTH:].split(found.terminator)
    last = len(pieces) - 1
    for k, raw in enumerate(pieces):
        piece = raw.strip("\r\n")
        if k == last:  # after the last terminator: nothing, or a complete IEA whose terminator alone is missing
            piece = raw.strip(_TRAILER)
            if piece and not _whole_iea(piece, found.element):
                raise FileRejected("x12.truncated", f"the last segment {piece[:30]!r} has no terminator")
        if not piece:
            continue
        elements = piece.split(found.element)
        segments.append(Segment(first + len(segments), elements[0].strip().upper(), elements, piece))
        if segments[-1].id == "IEA":
            return segments, found.terminator.join(pieces[k + 1 :])
    return segments, ""


def _whole_iea(tail: str, element: str) -> bool:
    """Whether an unterminated tail is a complete IEA (IEA01 a count, IEA02 nine digits): nothing is cut."""
    parts = tail.split(element)
    return len(parts) == 3 and parts[0].upper() == "IEA" and parts[1].isdigit() and len(parts[2]) == 9


def transaction_sets(segments: list[Segment]) -> list[list[Segment]]:
    """The ST..SE sets of the interchange, once every envelope count and control number checks out."""
    isa, sets, groups, i = segments[0], [], 0, 1
    while i < len(segments) and segments[i].id == "GS":
        group_sets, i = _group(segments, i)
        sets.extend(group_sets)
        groups += 1
    if i >= len(segments) or segments[i].id != "IEA":
        raise FileRejected("x12.envelope", f"expected GS or IEA, found {_found(segments, i)}")
    iea = segments[i]
    _same("x12.interchange_control_number", iea.get(2), "IEA02", isa.get(13), "ISA13")
    _count("x12.group_count", iea.get(1), "IEA01", groups, "functional groups")
    return sets


def _group(segments: list[Segment], i: int) -> tuple[list[list[Segment]], int]:
    """The sets of the GS group starting at i, checked against its GE; the index after the GE."""
    gs, sets = segments[i], []
    i += 1
    while i < len(segments) and segments[i].id == "ST":
        end = _set_end(segments, i)
        sets.append(_checked_set(segments[i : end + 1]))
        i = end + 1
    if i >= len(segments) or segments[i].id != "GE":
        raise FileRejected("x12.envelope", f"group {gs.get(6)}: expected ST or GE, found {_found(segments, i)}")
    ge = segments[i]
    _same("x12.group_control_number", ge.get(2), "GE02", gs.get(6), "GS06")
    _count("x12.set_count", ge.get(1), "GE01", len(sets), f"transaction sets in group {gs.get(6)}")
    return sets, i + 1


def _set_end(segments: list[Segment], i: int) -> int:
    """The index of the SE closing the set opened at i."""
    for j in range(i + 1, len(segments)):
        if segments[j].id == "SE":
            return j
        if segments[j].id in ENVELOPE:
            raise FileRejected("x12.envelope", f"set {segments[i].get(2)} has no SE before {_found(segments, j)}")
    raise FileRejected("x12.envelope", f"set {segments[i].get(2)} has no SE before the end of the file")


def _checked_set(transaction: list[Segment]) -> list[Segment]:
    """The set, once its SE matches its ST and counts its segments, and its type is mapped."""
    st, se = transaction[0], transaction[-1]
    _same("x12.set_control_number", se.get(2), "SE02", st.get(2), "ST02")
    _count("x12.segment_count", se.get(1), "SE01", len(transaction), f"segments in transaction set {st.get(2)}")
    if st.get(1) not in MAPPERS:
        raise FileRejected("x12.unsupported_transaction", f"set {st.get(2)} is a {st.get(1)}, not a 945 or 856")
    return transaction


def _found(segments: list[Segment], i: int) -> str:
    """Segment i named for a message, or the end of the file."""
    return f"{segments[i].id} (segment {segments[i].number})" if i < len(segments) else "the end of the file"


def _same(reason: str, got: str, got_name: str, want: str, want_name: str) -> None:
    """Reject the file unless two control numbers match (as numbers when both are)."""
    same = int(got) == int(want) if got.isdigit() and want.isdigit() else got == want
    if not same:
        raise FileRejected(reason, f"{got_name} {got!r} does not match {want_name} {want!r}")


def _count(reason: str, got: str, name: str, actual: int, what: str) -> None:
    """Reject the file unless a declared count equals the actual one."""
    if not got.isdigit() or int(got) != actual:
        raise FileRejected(reason, f"{name} says {got!r} but there are {actual} {what}")


# ------------------------------------------------------------------------------------------------ 945


def _map_945(transaction: list[Segment]) -> list[RawLine]:
    """A 945's lines: one per W12 (numbered by its LX), with the shipment's header values."""
    header: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    lines: list[RawLine] = []
    line: RawLine | None = None
    total: str | None = None
    for seg in transaction[1:-1]:
        if seg.id == "LX" or (seg.id == "W12" and (line is None or "quantity" in line.values)):
            number = seg.get(1) if seg.id == "LX" else str(len(lines) + 1)
            line = RawLine(seg.number, FORMAT_945, {"line_no": number})
            lines.append(line)
        if seg.id == "W03":
            total, line = seg.get(1), None
        elif seg.id == "W12" and line is not None:
            status = STATUS_945.get(seg.code(1), seg.get(1))
            line.values.update(status=status, quantity=units(seg.get(3)), sku=_sku_945(seg))
        elif line is None:
            _header_945(seg, header, errors)
        if line is not None:
            line.raw.append(seg.text)
    if "shipment_id" not in header:
        raise FileRejected("x12.envelope", f"945 set {transaction[0].get(2)} has no W06")
    _control_total(total, "W03-01", [line.values.get("quantity") for line in lines], transaction[0])
    return _with_header(lines, *_shipped_at(header, errors, "g62", "w06"))


def _header_945(seg: Segment, header: dict[str, str | None], errors: dict[str, str]) -> None:
    """Take a 945 header segment's values into header (a date that cannot be read into errors)."""
    if seg.id == "W06":
        header.update(order_id=seg.get(2), shipment_id=seg.get(4))
        _take_time(header, errors, "w06", x12_datetime(seg.get(3), "", "", "W06-03"))
    elif seg.id == "G62" and seg.code(1) == "11":
        _take_time(header, errors, "g62", x12_datetime(seg.get(2), seg.get(4), seg.get(5), "G62*11"))
    elif seg.id == "N1" and seg.code(1) in WAREHOUSE_ENTITIES:
        header["warehouse_code"] = seg.get(4)
    elif seg.id == "N9" and seg.code(1) in TRACKING_QUALIFIERS:
        header["tracking_number"] = seg.get(2)
    elif seg.id == "W27":
        header["carrier"] = seg.get(2)


def _sku_945(seg: Segment) -> str | None:
    """A W12's sku: W12-07/08, then W12-17/18 (unless the line is a substitute, IS), then W12-21/22."""
    pairs = [(7, 8), *([] if seg.code(1) == "IS" else [(17, 18)]), (21, 22)]
    return next((seg.get(i + 1) for i, _ in pairs if seg.code(i) in SKU_QUALIFIERS and seg.get(i + 1)), None)


# ------------------------------------------------------------------------------------------------ 856


def _map_856(transaction: list[Segment]) -> list[RawLine]:
    """An 856's lines: one per item level (HL*I), with its order (HL*O) and shipment (HL*S) values."""
    header: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    lines: list[RawLine] = []
    line: RawLine | None = None
    shipment_order: str | None = None  # a PRF at the shipment level: the order of an order level without one
    level, order, order_ref, hl_count, ctt = "", None, None, 0, None
    raw_units: list[str] = []
    for seg in transaction[1:-1]:
        if seg.id == "HL":
            hl_count, level = _hl(seg, hl_count)
            if level == "O":
                order, order_ref = None, None
            line = None
            if level == "I":
                order_id = order or order_ref or shipment_order
                line = RawLine(seg.number, FORMAT_856, {"order_id": order_id, "status": "shipped"})
                lines.append(line)
        elif seg.id == "PRF" and level == "O":
            order = seg.get(1)
        elif seg.id == "PRF" and level == "S":
            shipment_order = seg.get(1)
        elif seg.id == "REF" and level == "O" and seg.code(1) in ORDER_REF_QUALIFIERS:
            order_ref = order_ref or seg.get(2)
        elif seg.id == "LIN" and line is not None:
            line.values.update(line_no=seg.get(1) or str(len(lines)), sku=_sku_lin(seg))
        elif seg.id == "SN1" and line is not None:
            line.values["quantity"] = units(seg.get(2))
            raw_units.append(seg.get(2))
        elif seg.id == "CTT":
            ctt, line = seg, None
        elif level in ("", "S"):
            _header_856(seg, header, errors)
        if line is not None:
            line.raw.append(seg.text)
    st = transaction[0]
    if "shipment_id" not in header:
        raise FileRejected("x12.envelope", f"856 set {st.get(2)} has no BSN")
    if ctt is not None:
        _ctt_count(ctt.get(1), len(lines), hl_count, st)
        quantities = [line.values.get("quantity") for line in lines]
        _control_total(ctt.get(2) or None, "CTT02", quantities, st, raw_units)
    return _with_header(lines, *_shipped_at(header, errors, "dtm", "bsn"))


def _header_856(seg: Segment, header: dict[str, str | None], errors: dict[str, str]) -> None:
    """Take an 856 shipment-level segment's values into header (a date that cannot be read into errors)."""
    if seg.id == "BSN":
        header["shipment_id"] = seg.get(2)
        _take_time(header, errors, "bsn", x12_datetime(seg.get(3), seg.get(4), "", "BSN-03/04"))
    elif seg.id == "DTM" and seg.code(1) == "011":
        date, time = seg.get(2), seg.get(3)
        if not date and seg.code(5) in ("DT", "D8"):  # DTM05/06: a date-time period, CCYYMMDD[HHMM[SS]]
            date, time = seg.get(6)[:8], seg.get(6)[8:]
        _take_time(header, errors, "dtm", x12_datetime(date, time, seg.get(4), "DTM*011"))
    elif seg.id == "TD5":
        header["carrier"] = seg.get(3)
    elif seg.id == "REF" and seg.code(1) in TRACKING_QUALIFIERS:
        header["tracking_number"] = seg.get(2)
    elif seg.id == "N1" and seg.code(1) in WAREHOUSE_ENTITIES:
        header["warehouse_code"] = seg.get(4)


def _sku_lin(seg: Segment) -> str | None:
    """A LIN's sku: the id after the first qualifier SK, VN, VP, BP or IN among its (qualifier, id) pairs."""
    for i in range(2, len(seg.elements) - 1, 2):
        if seg.code(i) in SKU_QUALIFIERS and seg.get(i + 1):
            return seg.get(i + 1)
    return None


def _hl(seg: Segment, seen: int) -> tuple[int, str]:
    """Check an HL's numbering (HL01 = previous + 1, HL02 an earlier level); the count and its level code."""
    parent = seg.get(2)
    if seg.get(1) != str(seen + 1) or (parent and (not parent.isdigit() or int(parent) > seen)):
        raise FileRejected("x12.hl_structure", f"HL at segment {seg.number} is {seg.text!r} after {seen} levels")
    return seen + 1, seg.code(3)


def _ctt_count(declared: str, items: int, hl_segments: int, st: Segment) -> None:
    """CTT01 against the set: the number of item levels, or of all HL segments (guides define it both ways)."""
    if declared.isdigit() and int(declared) in (items, hl_segments):
        return
    raise FileRejected(
        "x12.control_total",
        f"CTT01 says {declared!r} but set {st.get(2)} has {items} item levels and {hl_segments} HL segments",
    )


# ------------------------------------------------------------------------------------------------ shared


def units(text: str) -> str:
    """A units value (element 382, type R) as an integer text when it is a whole number ("2.0" -> "2")."""
    whole = _WHOLE_UNITS.match(text.strip())
    return str(int(whole.group(1))) if whole else text


def _control_total(
    declared: str | None, name: str, quantities: list[str | None], st: Segment, raw: list[str] | None = None
) -> None:
    """A declared unit total against the lines' units (skipped when a unit count is not a number).

    CTT02 is a hash total (element 347): it also matches when it equals the sum of the units as written
    (`raw`) "without regard to decimal points or signs", truncated to its 10 rightmost digits.
    """
    if declared is None:
        if name == "W03-01":
            raise FileRejected("x12.control_total", f"945 set {st.get(2)} has no W03 total")
        return
    if not all(q is not None and q.isdigit() for q in quantities):
        return
    actual = sum(int(q or 0) for q in quantities)
    if name == "CTT02" and _hash_total(declared) in (actual % 10**HASH_DIGITS, _hash_of(raw or [])):
        return
    _count("x12.control_total", units(declared), name, actual, f"units in set {st.get(2)}")


def _hash_total(text: str) -> int | None:
    """A hash total's digits as a number (decimal point and sign dropped), None when it is not one."""
    digits = text.replace(".", "").lstrip("+-")
    return int(digits) if digits.isdigit() else None


def _hash_of(values: list[str]) -> int | None:
    """Element 347's hash of values: their digits summed without decimal points or signs, 10 rightmost digits."""
    numbers = [_hash_total(v) for v in values]
    return sum(n for n in numbers if n is not None) % 10**HASH_DIGITS if None not in numbers else None


def _shipped_at(
    header: dict[str, str | None], errors: dict[str, str], first: str, second: str
) -> tuple[dict[str, str | None], str | None]:
    """(the header with shipped_at, the reason it could not be read or None), its raw date keys removed.

    The shipped date segment (`first`: G62*11, DTM*011) wins when it was sent, read or not; else `second`
    (the W06 or BSN date). A shipped date that was sent but cannot be read is not replaced by the other.
    """
    chosen = first if first in header or first in errors else second
    values = {k: v for k, v in header.items() if k not in (first, second)}
    values["shipped_at"] = header.get(chosen)
    return values, errors.get(chosen)


def _take_time(
    header: dict[str, str | None], errors: dict[str, str], key: str, parsed: tuple[str | None, str | None]
) -> None:
    """Keep a parsed date-time under key, or the reason it could not be read."""
    value, error = parsed
    if error:
        errors[key] = error
    elif value:
        header[key] = value


def _with_header(lines: list[RawLine], header: dict[str, str | None], error: str | None) -> list[RawLine]:
    """The lines with the shipment's values under their own, and the shipment's date error on each."""
    shared: dict[str, str | None] = {k: v for k, v in header.items() if v is not None}
    for line in lines:
        line.values = shared | line.values
        if error:
            line.error = f"{line.error}; {error}" if line.error else error
    return lines


MAPPERS: dict[str, Callable[[list[Segment]], list[RawLine]]] = {"945": _map_945, "856": _map_856}
