"""ANSI X12 945 Warehouse Shipping Advice and 856 Ship Notice to shipment lines.

Delimiters come from the ISA segment: the element separator is its 4th character, the segment terminator
its 106th (line breaks after a terminator are ignored). The envelope is checked before anything is mapped,
and any fault rejects the whole file (reason in brackets):
- ISA..IEA: IEA02 = ISA13 [x12.interchange_control_number]; IEA01 = number of GS groups [x12.group_count]
- GS..GE: GE02 = GS06 [x12.group_control_number]; GE01 = number of ST sets [x12.set_count]
- ST..SE: SE02 = ST02 [x12.set_control_number]; SE01 = segments from ST to SE inclusive [x12.segment_count]
- ST01 is 945 or 856 [x12.unsupported_transaction]; segments in order, nothing after IEA [x12.envelope];
  the last segment terminated [x12.truncated]
- control totals [x12.control_total]: 945 W03-01 = sum of W12-03; 856 CTT01 (when sent) = number of item
  (HL I) levels and CTT02 (when sent) = sum of SN1-02; 856 HL numbering sequential [x12.hl_structure].

One shipment per transaction set. 945: W06-02 order id, W06-03 ship date, W06-04 shipment id; N1*SF|WH
N1-04 warehouse code; N9*CN|2I tracking number; G62*11 shipped date and time (else the W06 date); W27-02
carrier (SCAC); LX-01 line number; W12-01 status (CC shipped, CP partial), W12-03 units shipped, W12-07/08
product id (qualifier SK, VN, BP or IN: the sku). 856: BSN-02 shipment id, BSN-03/04 date and time; at the
shipment level (HL*S) TD5-03 carrier, REF*2I|CN tracking number, N1*SF|WH N1-04 warehouse code, DTM*011
shipped date and time (else the BSN's); order level (HL*O) PRF-01 order id; item level (HL*I) LIN-01 line
number, LIN-02/03.. product id, SN1-02 units shipped; status shipped. TD1 is read past. X12 dates and
times carry no zone: by agreement with the senders they are UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from northstar.sources.wms.formats.lines import FileRejected, RawLine

FORMAT_945, FORMAT_856 = "x12-945", "x12-856"
ENVELOPE = frozenset({"ISA", "GS", "GE", "IEA", "ST", "SE"})
SKU_QUALIFIERS = frozenset({"SK", "VN", "BP", "IN"})
WAREHOUSE_ENTITIES = frozenset({"SF", "WH"})
TRACKING_QUALIFIERS = frozenset({"2I", "CN"})
STATUS_945 = {"CC": "shipped", "CP": "partial"}


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


def parse_x12(text: str) -> list[RawLine]:
    """Every shipment line of every transaction set; FileRejected on any envelope or control-total fault."""
    lines: list[RawLine] = []
    for transaction in transaction_sets(split_segments(text)):
        lines.extend(MAPPERS[transaction[0].get(1)](transaction))
    return lines


def split_segments(text: str) -> list[Segment]:
    """The file's segments, split with the delimiters its ISA segment declares."""
    if len(text) < 106 or not text.startswith("ISA"):
        raise FileRejected("x12.isa", "the file does not start with a complete 106-character ISA segment")
    element, terminator = text[3], text[105]
    if element.isalnum() or terminator.isalnum() or element == terminator:
        raise FileRejected("x12.isa", f"implausible delimiters {element!r} and {terminator!r} in ISA")
    if len(text[:105].split(element)) != 17:
        raise FileRejected("x12.isa", "ISA does not have 16 elements: its delimiters cannot be trusted")
    pieces = text.split(terminator)
    if pieces[-1].strip():
        raise FileRejected("x12.truncated", f"the last segment {pieces[-1].strip()[:30]!r} has no terminator")
    texts = [piece.strip("\r\n") for piece in pieces[:-1]]
    split = [(t, t.split(element)) for t in texts if t]
    return [Segment(n, elements[0], elements, t) for n, (t, elements) in enumerate(split, start=1)]


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
    if i + 1 < len(segments):
        raise FileRejected("x12.envelope", f"{_found(segments, i + 1)} follows IEA")
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


def _map_945(transaction: list[Segment]) -> list[RawLine]:
    """A 945's lines: one per W12 (numbered by its LX), with the shipment's header values."""
    header: dict[str, str | None] = {}
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
            status = STATUS_945.get(seg.get(1), seg.get(1))
            line.values.update(status=status, quantity=seg.get(3), sku=_product(seg, 7))
        elif line is None:
            _header_945(seg, header)
        if line is not None:
            line.raw.append(seg.text)
    if "shipment_id" not in header:
        raise FileRejected("x12.envelope", f"945 set {transaction[0].get(2)} has no W06")
    _control_total(total, "W03-01", [line.values.get("quantity") for line in lines], transaction[0])
    header["shipped_at"] = header.pop("g62", None) or header.pop("w06_date", None)
    return _with_header(lines, header)


def _header_945(seg: Segment, header: dict[str, str | None]) -> None:
    """Take a 945 header segment's values into header."""
    if seg.id == "W06":
        header.update(order_id=seg.get(2), shipment_id=seg.get(4), w06_date=_when(seg.get(3), ""))
    elif seg.id == "G62" and seg.get(1) == "11":
        header["g62"] = _when(seg.get(2), seg.get(4))
    elif seg.id == "N1" and seg.get(1) in WAREHOUSE_ENTITIES:
        header["warehouse_code"] = seg.get(4)
    elif seg.id == "N9" and seg.get(1) in TRACKING_QUALIFIERS:
        header["tracking_number"] = seg.get(2)
    elif seg.id == "W27":
        header["carrier"] = seg.get(2)


def _map_856(transaction: list[Segment]) -> list[RawLine]:
    """An 856's lines: one per item level (HL*I), with its order (HL*O) and shipment (HL*S) values."""
    header: dict[str, str | None] = {}
    lines: list[RawLine] = []
    line: RawLine | None = None
    level, order, hl_count, ctt = "", None, 0, None
    for seg in transaction[1:-1]:
        if seg.id == "HL":
            hl_count, level = _hl(seg, hl_count)
            line = RawLine(seg.number, FORMAT_856, {"order_id": order, "status": "shipped"}) if level == "I" else None
            lines.extend([line] if line else [])
        elif seg.id == "PRF" and level == "O":
            order = seg.get(1)
        elif seg.id == "LIN" and line is not None:
            line.values.update(line_no=seg.get(1), sku=_product(seg, 2))
        elif seg.id == "SN1" and line is not None:
            line.values["quantity"] = seg.get(2)
        elif seg.id == "CTT":
            ctt, line = seg, None
        elif level in ("", "S"):
            _header_856(seg, header)
        if line is not None:
            line.raw.append(seg.text)
    if "shipment_id" not in header:
        raise FileRejected("x12.envelope", f"856 set {transaction[0].get(2)} has no BSN")
    if ctt is not None:
        _count("x12.control_total", ctt.get(1), "CTT01", len(lines), f"item levels in set {transaction[0].get(2)}")
        _control_total(ctt.get(2) or None, "CTT02", [line.values.get("quantity") for line in lines], transaction[0])
    header["shipped_at"] = header.pop("dtm", None) or header.pop("bsn_date", None)
    return _with_header(lines, header)


def _header_856(seg: Segment, header: dict[str, str | None]) -> None:
    """Take an 856 shipment-level segment's values into header."""
    if seg.id == "BSN":
        header.update(shipment_id=seg.get(2), bsn_date=_when(seg.get(3), seg.get(4)))
    elif seg.id == "DTM" and seg.get(1) == "011":
        header["dtm"] = _when(seg.get(2), seg.get(3))
    elif seg.id == "TD5":
        header["carrier"] = seg.get(3)
    elif seg.id == "REF" and seg.get(1) in TRACKING_QUALIFIERS:
        header["tracking_number"] = seg.get(2)
    elif seg.id == "N1" and seg.get(1) in WAREHOUSE_ENTITIES:
        header["warehouse_code"] = seg.get(4)


def _hl(seg: Segment, seen: int) -> tuple[int, str]:
    """Check an HL's numbering (HL01 = previous + 1, HL02 an earlier level); the count and its level code."""
    parent = seg.get(2)
    if seg.get(1) != str(seen + 1) or (parent and (not parent.isdigit() or int(parent) > seen)):
        raise FileRejected("x12.hl_structure", f"HL at segment {seg.number} is {seg.text!r} after {seen} levels")
    return seen + 1, seg.get(3)


def _control_total(declared: str | None, name: str, quantities: list[str | None], st: Segment) -> None:
    """A declared unit total against the lines' units (skipped when a unit count is not a number)."""
    if declared is None:
        if name == "W03-01":
            raise FileRejected("x12.control_total", f"945 set {st.get(2)} has no W03 total")
        return
    if all(q is not None and q.isdigit() for q in quantities):
        _count("x12.control_total", declared, name, sum(int(q or 0) for q in quantities), f"units in set {st.get(2)}")


def _product(seg: Segment, first: int) -> str | None:
    """The sku: the id after the first qualifier SK, VN, BP or IN among (qualifier, id) pairs from `first`."""
    for i in range(first, len(seg.elements) - 1, 2):
        if seg.get(i) in SKU_QUALIFIERS:
            return seg.get(i + 1)
    return None


def _when(date: str, time: str) -> str | None:
    """CCYYMMDD and HHMM[SS] as ISO-8601 UTC; anything else is passed on for the line's parse error."""
    if not date:
        return None
    if len(date) == 8 and date.isdigit() and (not time or time[:6].isdigit()) and len(time[:6]) in (0, 4, 6):
        clock = (time[:6] + "000000")[:6]
        return f"{date[:4]}-{date[4:6]}-{date[6:]}T{clock[:2]}:{clock[2:4]}:{clock[4:]}+00:00"
    return f"{date} {time}".strip()


def _with_header(lines: list[RawLine], header: dict[str, str | None]) -> list[RawLine]:
    """The lines with the shipment's values under their own."""
    shared: dict[str, str | None] = {k: v for k, v in header.items() if v is not None}
    for line in lines:
        line.values = shared | line.values
    return lines


MAPPERS: dict[str, Callable[[list[Segment]], list[RawLine]]] = {"945": _map_945, "856": _map_856}
