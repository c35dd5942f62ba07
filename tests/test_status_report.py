"""The status page: built from a seeded warehouse, opened in a real headless browser (Debian's chromium via
playwright, `make chromium`), no console error, no network request, every chart drawn; incidents when present."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import Browser, sync_playwright

from cli.main import main
from flows.status_report import status_report
from northstar.incidents import Cause, record_causes, transition
from northstar.landing import landing_store
from northstar.monitoring.ledger import naive
from northstar.monitoring.report import CHARTS
from northstar.monitoring.service import build_report, monitor_once, publish_report
from northstar.settings import Settings, load_settings
from northstar.warehouse import Warehouse, open_warehouse
from tests.monitor_seed import add_batch, land_arrival, now_quarter

pytestmark = pytest.mark.integration
NOW = now_quarter()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make chromium` installs it (make test does)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def settings(tmp_path: Path, warehouse_server: str) -> Settings:
    return load_settings({"NORTHSTAR_HOME": str(tmp_path / "home"), "NORTHSTAR_WAREHOUSE_SERVER": warehouse_server})


def seed_history(wh: Warehouse, settings: Settings) -> None:
    """Two days of batches, a held then passed gate, SLA metrics, quarantine sightings and pending references."""
    for k in range(1, 5):
        add_batch(wh, "orders", NOW - timedelta(weeks=k), 100 + k)
    for hours in range(0, 48, 6):
        end = NOW - timedelta(hours=hours)
        add_batch(wh, "orders", end, 0 if hours == 0 else 100, 2)
        add_batch(wh, "payments", end, 50)
        add_batch(wh, "fulfillment", end, 20)
        add_batch(wh, "consistency", end, 170, status="HELD" if hours == 6 else "COMMITTED")
    land_arrival(settings, NOW)
    for days, dup, var in ((1, 0.002, 0.0004), (0, 0.006, 0.0012)):
        for metric, value, threshold in (("duplicate_rate", dup, 0.01), ("reconciliation_variance", var, 0.001)):
            wh.execute("INSERT INTO OPS.SLA_METRICS VALUES ('seed', %(d)s, %(m)s, %(v)s, %(t)s, %(w)s, %(at)s)",
                       {"d": (NOW - timedelta(days=days)).date(), "m": metric, "v": value, "t": threshold,
                        "w": value < threshold, "at": naive(NOW)})  # fmt: skip
    wh.execute(
        "INSERT INTO OPS.QUARANTINE_SIGHTINGS SELECT 'QUARANTINE.ORDERS', 'k1', 'seed', "
        "ARRAY_CONSTRUCT('schema.currency_iso4217'), 1, %(at)s",
        {"at": naive(NOW - timedelta(hours=3))},
    )
    wh.execute(
        "INSERT INTO OPS.PENDING_REFERENCES VALUES ('payment', 'pi_1', 7, 'payments-x', %(since)s, 'consistency-x')",
        {"since": naive(NOW - timedelta(hours=13))},
    )


def open_page(browser: Browser, page_file: Path) -> tuple[list[str], list[str], object]:
    """Load the page; (console errors and page errors, network requests other than the file, the page)."""
    page = browser.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith("file://") else None)
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    return errors, requests, page


def test_the_page_loads_without_errors_and_shows_every_chart(
    settings: Settings, tmp_path: Path, browser: Browser
) -> None:
    with open_warehouse(settings) as wh:
        seed_history(wh, settings)
    for minutes in (0, 5):
        monitor_once(settings, NOW + timedelta(minutes=minutes))
    out = tmp_path / "status.html"
    out.write_text(build_report(settings, 14, NOW + timedelta(minutes=5)))
    errors, requests, page = open_page(browser, out)
    for chart in CHARTS:
        page.wait_for_selector(f"#{chart} .main-svg", timeout=15_000)  # type: ignore[attr-defined]
    assert errors == [] and requests == []
    drawn = page.eval_on_selector_all(".js-plotly-plot", "els => els.map(e => [e.id, e.data.length])")  # type: ignore[attr-defined]
    assert [d[0] for d in drawn] == list(CHARTS)
    traces = dict(drawn)
    assert traces["sla-duplicate-rate"] == 3 and traces["volume-orders"] == 3  # value, SLA, warn; band x2 + rows
    assert traces["gate-history"] == 1 and traces["pending-age"] == 1 and traces["quarantine-reasons"] == 1
    alerts = page.inner_text("#alerts")  # type: ignore[attr-defined]
    assert "volume_zero:orders" in alerts and "pending_references:payment" in alerts
    assert page.inner_text("#incidents") == "No open incidents."  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_open_incidents_show_when_the_table_exists(settings: Settings, tmp_path: Path, browser: Browser) -> None:
    day = NOW.date()
    with open_warehouse(settings) as wh:  # two incidents as the pipeline opens them; one is closed
        causes = [Cause("payments", "schema.required", day, "payments late"), Cause("orders", "schema.x", day, "x")]
        opened, closed = record_causes(wh, causes, "batch-1", "alice")
        transition(wh, closed, "closed", actor="bob", reason="fixed at the source")
    out = tmp_path / "status.html"
    out.write_text(build_report(settings, 14, NOW))
    errors, _, page = open_page(browser, out)
    text = page.inner_text("#incidents")  # type: ignore[attr-defined]
    assert errors == [] and opened in text and "payments late" in text and closed not in text


def test_the_command_writes_the_file_and_the_scheduled_run_lands_it(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NORTHSTAR_HOME", str(settings.home))
    monkeypatch.setenv("NORTHSTAR_WAREHOUSE_SERVER", str(settings.warehouse_server))
    out = tmp_path / "site" / "status.html"
    assert main(["report", "--days", "3", "--out", str(out)]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>") and "the last 3 days" in out.read_text()
    assert main(["report", "--days", "0", "--out", str(out)]) == 2
    uri = publish_report(settings, 14, NOW)
    key = f"reports/status/dt={NOW:%Y-%m-%d}/status-{NOW:%H%M%S}.html"
    assert uri == landing_store(settings).uri(key)
    assert b"Northstar status" in landing_store(settings).get(key)


def test_the_status_report_flow_lands_the_page(
    prefect_harness: None, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NORTHSTAR_HOME", str(settings.home))
    monkeypatch.setenv("NORTHSTAR_WAREHOUSE_SERVER", str(settings.warehouse_server))
    uri = status_report(days=2)
    landed = Path(unquote(urlsplit(uri).path))
    assert landed.is_file() and landed.parent.parent == settings.landing_dir / "reports" / "status"
    assert "the last 2 days" in landed.read_text()
