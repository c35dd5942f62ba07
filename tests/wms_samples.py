"""Sample WMS/3PL drop files, generated: CSV shipment confirmations and X12 945 / 856 interchanges.

`shipments(n, ...)` makes valid shipments; `csv_file`, `x12_945` and `x12_856` render them, and their
keyword arguments break exactly one thing (a segment count, a control number, a total) for the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from northstar.batches import Window

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOUR = Window(T0, T0 + timedelta(hours=1))
CSV_HEADER = "shipment_id,order_id,line_no,sku,quantity,warehouse_code,carrier,tracking_number,status,shipped_at"


@dataclass(frozen=True)
class Line:
    """One shipped order line."""

    line_no: int
    sku: str
    quantity: int
    status: str = "shipped"


@dataclass(frozen=True)
class Shipment:
    """One shipment with its lines; every value valid for the fulfillment contract unless a test changes it."""

    shipment_id: str
    order_id: int
    warehouse_code: str = "ATL1"
    carrier: str = "UPSN"
    tracking_number: str = "1Z999AA10123456784"
    shipped_at: datetime = T0 + timedelta(minutes=10)
    lines: tuple[Line, ...] = field(default_factory=tuple)


def shipments(n: int, prefix: str = "SHP", first_order: int = 100_000, lines_each: int = 2) -> list[Shipment]:
    """n valid shipments of lines_each lines: SHP-000001 for order 100000, and so on."""
    return [
        Shipment(
            shipment_id=f"{prefix}-{i:06d}",
            order_id=first_order + i,
            warehouse_code=("ATL1", "DAL1", "RNO1", "NJ3P", "CHI3P")[i % 5],
            tracking_number=f"1Z{i:016d}",
            lines=tuple(Line(k, f"SKU-{(i * 7 + k) % 500:04d}", 1 + (i + k) % 4) for k in range(1, lines_each + 1)),
        )
        for i in range(1, n + 1)
    ]


def with_line(shipment: Shipment, number: int, **changes: object) -> Shipment:
    """The shipment with one line's fields changed (quantity, status, sku...)."""
    lines = tuple(replace(line, **changes) if line.line_no == number else line for line in shipment.lines)  # type: ignore[arg-type]
    return replace(shipment, lines=lines)


# ---------------------------------------------------------------------------------------------- CSV


def csv_rows(items: list[Shipment]) -> list[str]:
    """The data lines for shipments, one per shipment line."""
    return [
        ",".join(
            [
                s.shipment_id,
                str(s.order_id),
                str(line.line_no),
                line.sku,
                str(line.quantity),
                s.warehouse_code,
                s.carrier,
                s.tracking_number,
                line.status,
                s.shipped_at.isoformat().replace("+00:00", "Z"),
            ]
        )
        for s in items
        for line in s.lines
    ]


def csv_file(items: list[Shipment], extra_rows: tuple[str, ...] = (), header: str = CSV_HEADER) -> bytes:
    """A CSV shipment confirmation: header, one line per shipment line, extra raw rows, LF line ends."""
    return ("\n".join([header, *csv_rows(items), *extra_rows]) + "\n").encode()


# ---------------------------------------------------------------------------------------------- X12


def isa(control: int, when: datetime = T0, element: str = "*", terminator: str = "~") -> str:
    """A 106-character ISA segment (with its terminator) declaring the delimiters."""
    fields = [
        "ISA", "00", " " * 10, "00", " " * 10, "ZZ", "NSWMS".ljust(15), "ZZ", "NORTHSTAR".ljust(15),
        f"{when:%y%m%d}", f"{when:%H%M}", "U", "00401", f"{control:09d}", "0", "P", ">",
    ]  # fmt: skip
    segment = element.join(fields) + terminator
    assert len(segment) == 106, len(segment)
    return segment


def _set_945(s: Shipment, control: int) -> list[str]:
    """The segments ST..SE of one 945 (SE01 counted right)."""
    when = s.shipped_at
    body = [
        f"ST*945*{control:04d}",
        f"W06*F*{s.order_id}*{when:%Y%m%d}*{s.shipment_id}",
        f"N1*SF*Northstar DC*ZZ*{s.warehouse_code}",
        "N1*ST*Customer",
        f"N9*CN*{s.tracking_number}",
        f"G62*11*{when:%Y%m%d}*8*{when:%H%M}",
        f"W27*M*{s.carrier}",
    ]
    for line in s.lines:
        code = {"shipped": "CC", "partial": "CP"}.get(line.status, line.status)
        body += [f"LX*{line.line_no}", f"W12*{code}*{line.quantity}*{line.quantity}*0*EA**SK*{line.sku}"]
    body.append(f"W03*{sum(line.quantity for line in s.lines)}*1.5*LB")
    return [*body, f"SE*{len(body) + 1}*{control:04d}"]


def _set_856(s: Shipment, control: int) -> list[str]:
    """The segments ST..SE of one 856 with shipment, order and item levels (SE01 counted right)."""
    when = s.shipped_at
    body = [
        f"ST*856*{control:04d}",
        f"BSN*00*{s.shipment_id}*{when:%Y%m%d}*{when:%H%M}*0001",
        "HL*1**S",
        "TD1*CTN25*1****G*2.5*LB",
        f"TD5*B*2*{s.carrier}",
        f"REF*2I*{s.tracking_number}",
        f"N1*SF*Northstar DC*ZZ*{s.warehouse_code}",
        f"DTM*011*{when:%Y%m%d}*{when:%H%M%S}",
        "HL*2*1*O",
        f"PRF*{s.order_id}",
    ]
    for k, line in enumerate(s.lines, start=3):
        body += [f"HL*{k}*2*I", f"LIN*{line.line_no}*SK*{line.sku}", f"SN1**{line.quantity}*EA"]
    body.append(f"CTT*{len(s.lines)}*{sum(line.quantity for line in s.lines)}")
    return [*body, f"SE*{len(body) + 1}*{control:04d}"]


def interchange(
    sets: list[list[str]],
    functional_id: str,
    control: int = 101,
    *,
    iea_control: int | None = None,
    group_count: int = 1,
    set_count: int | None = None,
    element: str = "*",
    terminator: str = "~",
) -> bytes:
    """ISA/GS ... GE/IEA around the sets; the keyword arguments can make one envelope count wrong."""
    segments = [f"GS*{functional_id}*NSWMS*NORTHSTAR*{T0:%Y%m%d}*{T0:%H%M}*{control}*X*004010"]
    segments += [segment for st in sets for segment in st]
    segments += [f"GE*{len(sets) if set_count is None else set_count}*{control}"]
    segments += [f"IEA*{group_count}*{iea_control if iea_control is not None else control:09d}"]
    text = "\n".join(s.replace("*", element) + terminator for s in segments)
    return (isa(control, element=element, terminator=terminator) + "\n" + text + "\n").encode()


def x12_945(
    items: list[Shipment], control: int = 101, se_delta: int = 0, total_delta: int = 0, **envelope: object
) -> bytes:
    """A 945 interchange, one transaction set per shipment; se_delta/total_delta corrupt the first set."""
    sets = [_set_945(s, i) for i, s in enumerate(items, start=1)]
    if sets and (se_delta or total_delta):
        sets[0] = _adjust(sets[0], "SE*", 1, se_delta)
        sets[0] = _adjust(sets[0], "W03*", 1, total_delta)
    return interchange(sets, "SW", control, **envelope)  # type: ignore[arg-type]


def x12_856(items: list[Shipment], control: int = 201, se_delta: int = 0, **envelope: object) -> bytes:
    """An 856 interchange, one transaction set per shipment; se_delta corrupts the first set's SE01."""
    sets = [_set_856(s, i) for i, s in enumerate(items, start=1)]
    if sets and se_delta:
        sets[0] = _adjust(sets[0], "SE*", 1, se_delta)
    return interchange(sets, "SH", control, **envelope)  # type: ignore[arg-type]


def _adjust(segments: list[str], prefix: str, element: int, delta: int) -> list[str]:
    """The segments with a numeric element of the segment starting with prefix moved by delta."""
    out = []
    for segment in segments:
        if segment.startswith(prefix) and delta:
            parts = segment.split("*")
            parts[element] = str(int(parts[element]) + delta)
            segment = "*".join(parts)
        out.append(segment)
    return out


# ---------------------------------------------------------------------------------------------- X12 as senders write it


def edi(
    groups: list[list[str]],
    *,
    control: int = 301,
    element: str = "*",
    component: str = ">",
    terminator: str = "~",
    line_end: str = "\n",
    version: str = "00401",
    repetition: str = "U",
) -> bytes:
    """An interchange of groups (each GS..GE, written with * and >), in the delimiters and line ends asked for."""
    fields = [
        "ISA", "00", " " * 10, "00", " " * 10, "ZZ", "ACMEWMS".ljust(15), "ZZ", "NORTHSTAR".ljust(15),
        "261120", "1130", repetition, version, f"{control:09d}", "0", "P", component,
    ]  # fmt: skip
    segments = [element.join(fields)]
    segments += [s.replace("*", element).replace(">", component) for group in groups for s in group]
    segments.append(f"IEA{element}{len(groups)}{element}{control:09d}")
    return "".join(s + terminator + line_end for s in segments).encode()


def group(code: str, sets: list[list[str]], control: int = 1) -> list[str]:
    """GS..GE around transaction sets (each ST..SE)."""
    header = f"GS*{code}*ACMEWMS*NORTHSTAR*20261120*1130*{control}*X*004010"
    return [header, *(s for st in sets for s in st), f"GE*{len(sets)}*{control}"]


def st(kind: str, body: list[str], control: int = 1) -> list[str]:
    """ST..SE around body segments, SE01 counted."""
    return [f"ST*{kind}*{control:04d}", *body, f"SE*{len(body) + 2}*{control:04d}"]


def asn_body(
    shipment: str = "SHP-V1",
    order: str = "PRF*100801",
    items: tuple[str, ...] = ("LIN*1*VN*SKU-A", "SN1**2*EA"),
    dtm: str = "DTM*011*20261120*1030",
    ctt: str | None = None,
) -> list[str]:
    """An 856 body with levels S, O and one item level per (LIN, SN1) pair in items."""
    body = [f"BSN*00*{shipment}*20261120*1030", "HL*1**S", "TD5*O*2*UPSN", "REF*CN*1ZV1", "N1*SF*Acme*92*ATL1"]
    body += [dtm] if dtm else []
    body += ["HL*2*1*O", order] if order else []
    pairs = [items[i : i + 2] for i in range(0, len(items), 2)]
    for k, pair in enumerate(pairs, start=3):
        body += [f"HL*{k}*2*I", *pair]
    return body + ([ctt] if ctt else [])


def asn(**kwargs: object) -> bytes:
    """One 856 interchange (one group, one set) from asn_body's arguments."""
    return edi([group("SH", [st("856", asn_body(**kwargs))])])  # type: ignore[arg-type]


def advice_body(w12: tuple[str, ...] = ("LX*1", "W12*CC*2*2*0*EA**SK*SKU-A"), g62: str = "G62*11*20261120*8*1030",
                total: int = 2) -> list[str]:  # fmt: skip
    """A 945 body for order 100802, shipment SHP-W1, with the given LX/W12 segments and W03 total."""
    head = ["W06*F*100802*20261120*SHP-W1", "N1*SF*Acme*ZZ*ATL1", "N9*CN*1ZW1", *([g62] if g62 else []), "W27*M*UPSN"]
    return [*head, *w12, f"W03*{total}*1.5*LB"]


def advice(**kwargs: object) -> bytes:
    """One 945 interchange from advice_body's arguments."""
    return edi([group("SW", [st("945", advice_body(**kwargs))])])  # type: ignore[arg-type]
