"""The monthly cost model: infra/cost_inputs.toml -> docs/cost.md.

`.venv/bin/python -m infra.cost_model` rewrites docs/cost.md; `--check` exits 1 when the committed file
differs from what the inputs give (tests/test_cost_model.py does the same). Every figure is in US dollars
per month unless its name says otherwise; the arithmetic of each line is printed beside it.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ROOT / "infra" / "cost_inputs.toml"
OUTPUT = ROOT / "docs" / "cost.md"


@dataclass(frozen=True)
class Scenario:
    """A what-if: multipliers on the brief's volumes and the batch cadence in minutes."""

    name: str
    events_factor: float = 1.0
    orders_factor: float = 1.0
    cadence_minutes: int = 15


SCENARIOS = (
    Scenario("baseline"),
    Scenario("2x Stripe events", events_factor=2.0),
    Scenario("2x orders", orders_factor=2.0),
    Scenario("5-minute cadence", cadence_minutes=5),
)


@dataclass(frozen=True)
class Line:
    """One line item: its group, name, unit price, the arithmetic shown, and dollars per month."""

    group: str
    item: str
    unit_price: str
    arithmetic: str
    usd: float


@dataclass
class Model:
    """A scenario's line items plus the figures other parts of the document quote."""

    scenario: Scenario
    lines: list[Line] = field(default_factory=list)
    facts: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)

    def add(self, group: str, item: str, unit_price: str, arithmetic: str, usd: float) -> None:
        self.lines.append(Line(group, item, unit_price, arithmetic, usd))


def load_inputs(path: Path = INPUTS) -> dict[str, Any]:
    """The inputs file as a dict (tomllib; raises tomllib.TOMLDecodeError on a malformed file)."""
    with path.open("rb") as f:
        return tomllib.load(f)


def _usd(x: float) -> str:
    return f"${x:,.2f}"


def _price(x: float) -> str:
    """A unit price with its significant digits ($0.04048, $0.005, $23.00)."""
    text = f"{x:.6f}".rstrip("0")
    return "$" + (text + "0" if len(text.split(".")[1]) < 2 else text)


def credit_quota() -> int:
    """The resource monitor's monthly credit quota, as sql/snowflake/admin/01_warehouses.sql sets it."""
    sql = (ROOT / "sql" / "snowflake" / "admin" / "01_warehouses.sql").read_text()
    quotas = set(re.findall(r"CREDIT_QUOTA = (\d+)", sql))
    if len(quotas) != 1:
        raise ValueError(f"01_warehouses.sql sets the credit quota {len(quotas)} ways: {sorted(quotas)}")
    return int(quotas.pop())


def _n(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def compute(inputs: dict[str, Any], scenario: Scenario) -> Model:
    """Every line item of one scenario (pure arithmetic over the inputs)."""
    p, v, b, a = inputs["prices"], inputs["volumes"], inputs["benchmarks"], inputs["assumptions"]
    days, hours = inputs["days_per_month"], inputs["hours_per_month"]
    m = Model(scenario)
    cadence = scenario.cadence_minutes
    runs_per_day = 1440 / cadence
    events_per_day = v["stripe_events_per_day"] * scenario.events_factor
    events_per_month = events_per_day * days

    # ----- Fargate batch tasks ---------------------------------------------------------------------------
    task_usd_per_second = (
        2 * p["fargate_vcpu_hour"] + 8 * p["fargate_gb_hour"] + 20 * p["fargate_ephemeral_gb_hour"]
    ) / 3600
    events_per_batch = events_per_day / runs_per_day
    scales = {
        # (runs a day, processing seconds per run: the benchmark scaled to this scenario's batch size)
        "orders": (runs_per_day, b["orders_batch_seconds"] * scenario.orders_factor * cadence / 15),
        "payments": (runs_per_day, b["payments_batch_seconds"] * events_per_batch / 100_000),
        "consistency": (runs_per_day, b["consistency_batch_seconds"] * scenario.orders_factor * cadence / 15),
        "fulfillment": (24, b["fulfillment_batch_seconds"] * (v["wms_files_per_day"] / 24) / 10),
    }
    for job, (runs, seconds) in scales.items():
        billed = max(60.0, a["task_startup_seconds"] + seconds)
        usd = runs * days * billed * task_usd_per_second
        m.add(
            "Compute (ECS Fargate)",
            f"batch task: {job}",
            f"2 vCPU x {_price(p['fargate_vcpu_hour'])} + 8 GB x {_price(p['fargate_gb_hour'])} per hour "
            f"(+20 GB ephemeral x {_price(p['fargate_ephemeral_gb_hour'])}) "
            f"= {_price(round(task_usd_per_second * 3600, 5))}/task-hour",
            f"{_n(runs, 0)} runs/day x {days} days x ({a['task_startup_seconds']} s start + {seconds:.2f} s measured) "
            f"= {_n(runs * days * billed / 3600, 1)} task-hours",
            usd,
        )
        m.facts[f"task_seconds_{job}"] = billed

    peak_events_per_second = events_per_day / 86_400 * a["peak_to_average_events"]
    per_task = a["receiver_events_per_second_per_task_s3"]
    peak_tasks = max(a["receiver_min_tasks"], math.ceil(peak_events_per_second / per_task))
    avg_tasks = a["receiver_min_tasks"] + a["receiver_peak_hours_share"] * (peak_tasks - a["receiver_min_tasks"])
    receiver_hour = a["receiver_task_vcpu"] * p["fargate_vcpu_hour"] + a["receiver_task_gb"] * p["fargate_gb_hour"]
    m.add(
        "Compute (ECS Fargate)",
        "Stripe receiver tasks",
        f"0.5 vCPU + 1 GB = {_price(round(receiver_hour, 5))}/task-hour",
        f"{avg_tasks:.2f} tasks on average (3 always; the peak of {_n(peak_events_per_second)} events/s needs "
        f"{peak_tasks} at {per_task}/s each, {a['receiver_peak_hours_share']:.0%} of hours) x {hours} h",
        avg_tasks * hours * receiver_hour,
    )
    m.facts.update(peak_events_per_second=peak_events_per_second, receiver_peak_tasks=peak_tasks)
    for name, vcpu, gb in (
        ("Prefect ECS worker (always on)", a["worker_task_vcpu"], a["worker_task_gb"]),
        ("Marquez task (always on)", a["marquez_task_vcpu"], a["marquez_task_gb"]),
    ):
        hourly = vcpu * p["fargate_vcpu_hour"] + gb * p["fargate_gb_hour"]
        group = "Lineage (Marquez)" if name.startswith("Marquez") else "Compute (ECS Fargate)"
        m.add(
            group,
            name,
            f"{vcpu} vCPU + {gb} GB = {_price(round(hourly, 5))}/hour",
            f"1 task x {hours} h",
            hourly * hours,
        )

    # ----- ALB -------------------------------------------------------------------------------------------
    events_per_second = events_per_day / 86_400
    lcu_connections = events_per_second * a["alb_new_connections_per_event"] / 25
    lcu_bytes = events_per_second * a["alb_bytes_per_event"] * 3600 / 1e9
    lcus = max(lcu_connections, lcu_bytes) * a["alb_peak_hour_factor"]
    m.add("Network", "ALB hours", f"{_price(p['alb_hour'])}/hour", f"1 ALB x {hours} h", p["alb_hour"] * hours)
    m.add(
        "Network",
        "ALB LCUs",
        f"{_price(p['alb_lcu_hour'])}/LCU-hour",
        f"max({_n(events_per_second, 1)} new conn/s / 25 = {lcu_connections:.2f}, "
        f"{lcu_bytes:.2f} GB/h processed) x {a['alb_peak_hour_factor']} busiest-hour factor "
        f"= {lcus:.2f} LCU x {hours} h",
        lcus * hours * p["alb_lcu_hour"],
    )

    # ----- S3 --------------------------------------------------------------------------------------------
    event_gb_per_day = events_per_day * b["receiver_event_bytes"] / 1e9
    base_event_gb = v["stripe_events_per_day"] * b["receiver_event_bytes"] / 1e9
    raw_gb_per_day = v["raw_gb_per_day"] + (event_gb_per_day - base_event_gb)
    stored_gb = raw_gb_per_day * (v["raw_retention_days"] + 1)  # +1: the noncurrent day after expiry
    tier1 = min(stored_gb, 51_200)
    s3_storage = (
        tier1 * p["s3_standard_gb_month_first_50tb"] + (stored_gb - tier1) * p["s3_standard_gb_month_next_450tb"]
    )
    m.add(
        "Storage (S3 landing bucket)",
        "S3 Standard, raw/ kept 90 days",
        f"{_price(p['s3_standard_gb_month_first_50tb'])}/GB-month first 50 TB, "
        f"{_price(p['s3_standard_gb_month_next_450tb'])} next",
        f"{_n(raw_gb_per_day, 1)} GB/day x (90 + 1 noncurrent) days = {_n(stored_gb)} GB steady state",
        s3_storage,
    )
    other_puts = runs_per_day * 3 * days + v["wms_files_per_day"] * 2 * days  # parquet + manifests, WMS files
    puts = events_per_month + other_puts
    m.add(
        "Storage (S3 landing bucket)",
        "S3 PUTs (one object per Stripe event)",
        f"{_price(p['s3_put_per_1000'])}/1,000",
        f"{_n(events_per_day)} events/day x {days} = {_n(events_per_month)} PUTs + {_n(other_puts)} batch objects",
        puts / 1000 * p["s3_put_per_1000"],
    )
    gets = events_per_month * a["s3_gets_per_event"]
    m.add(
        "Storage (S3 landing bucket)",
        "S3 GETs (each event read once by its batch)",
        f"{_price(p['s3_get_per_1000'])}/1,000",
        f"{_n(gets)} GETs",
        gets / 1000 * p["s3_get_per_1000"],
    )
    lists = a["payments_lookback_days"] * events_per_day / 1000 * runs_per_day * days
    m.add(
        "Storage (S3 landing bucket)",
        "S3 LISTs (payments lookback listing)",
        f"{_price(p['s3_put_per_1000'])}/1,000",
        f"{a['payments_lookback_days']} days x {_n(events_per_day)} keys / 1,000 per LIST "
        f"x {_n(runs_per_day)} runs/day x {days} = {_n(lists)} LISTs",
        lists / 1000 * p["s3_put_per_1000"],
    )
    kms_calls = (puts + gets) * 0.01  # S3 Bucket Keys: AWS states up to 99% fewer KMS calls
    m.add(
        "Storage (S3 landing bucket)",
        "KMS key and requests (S3 Bucket Key on)",
        f"{_price(p['kms_key_month'])}/key-month + {_price(p['kms_requests_per_10000'])}/10,000 requests",
        f"1 key + 1% of {_n(puts + gets)} object requests = {_n(kms_calls)} KMS requests",
        p["kms_key_month"] + kms_calls / 10_000 * p["kms_requests_per_10000"],
    )
    m.facts.update(
        puts=puts,
        put_usd=puts / 1000 * p["s3_put_per_1000"],
        kms_without_bucket_key=(puts + gets) / 10_000 * p["kms_requests_per_10000"],
        stored_gb=stored_gb,
        event_gb_per_day=event_gb_per_day,
        raw_gb_per_day=raw_gb_per_day,
    )

    # ----- NAT gateways ----------------------------------------------------------------------------------
    nat = 2 * hours * p["nat_gateway_hour"] + a["nat_gb_per_month"] * p["nat_gateway_gb"]
    m.add(
        "Network",
        "NAT gateways (S3 through the free gateway endpoint)",
        f"{_price(p['nat_gateway_hour'])}/hour + {_price(p['nat_gateway_gb'])}/GB",
        f"2 gateways x {hours} h + {a['nat_gb_per_month']} GB (Snowflake, Prefect, SFTP, ECR API)",
        nat,
    )
    m.facts["nat_without_endpoint"] = 2 * raw_gb_per_day * days * p["nat_gateway_gb"]

    # ----- Snowflake -------------------------------------------------------------------------------------
    slow = a["snowflake_slowdown_vs_fakesnow"]
    suspend = p["snowflake_min_seconds_per_resume"]
    sources_active = (
        b["orders_publish_seconds"] * scenario.orders_factor * cadence / 15
        + b["payments_publish_seconds"] * events_per_batch / 100_000
    ) * slow
    consistency_active = b["consistency_warehouse_seconds"] * scenario.orders_factor * cadence / 15 * slow
    fulfillment_active = b["fulfillment_publish_seconds"] * slow
    # Each resume bills its active seconds plus AUTO_SUSPEND = 60 s idle, and at least 60 s.
    per_cycle = max(suspend, sources_active + suspend) + max(suspend, consistency_active + suspend)
    per_hour_fulfillment = max(suspend, fulfillment_active + suspend)
    load_seconds_day = per_cycle * runs_per_day + per_hour_fulfillment * 24 + a["purge_minutes_per_day"] * 60
    load_credits = load_seconds_day / 3600 * p["snowflake_xs_credits_per_hour"] * days
    bi_credits = a["bi_warehouse_hours_per_day"] * p["snowflake_xs_credits_per_hour"] * days
    credit = p["snowflake_usd_per_credit"]
    m.add(
        "Snowflake",
        "load warehouse (XS) credits",
        f"1 credit/hour (XS) x {_usd(credit)}/credit ({p['snowflake_edition']})",
        f"per {cadence}-min cycle: sources {sources_active:.1f} s + consistency {consistency_active:.1f} s active "
        f"(fakesnow x {slow}), each resume + {suspend} s idle = {per_cycle:.0f} s; x {_n(runs_per_day)} cycles "
        f"+ 24 fulfillment resumes x {per_hour_fulfillment:.0f} s + purge {a['purge_minutes_per_day']} min "
        f"= {load_seconds_day / 60:.0f} min/day = {load_credits:.1f} credits",
        load_credits * credit,
    )
    m.add(
        "Snowflake",
        "BI warehouse (XS) credits",
        f"{_usd(credit)}/credit",
        f"{a['bi_warehouse_hours_per_day']} h/day x {days} = {bi_credits:.1f} credits",
        bi_credits * credit,
    )
    loaded_gb_day = a["snowflake_gb_per_day_loaded"] * (
        1 + (scenario.events_factor - 1) * 0.7 + (scenario.orders_factor - 1) * 0.3
    )
    snowflake_tb = (
        loaded_gb_day
        / a["snowflake_compression"]
        * 365
        * v["snowflake_retention_years"]
        * (1 + a["snowflake_storage_overhead"])
        / 1000
    )
    m.add(
        "Snowflake",
        "storage (2 years, steady state)",
        f"{_price(p['snowflake_storage_tb_month'])}/TB-month",
        f"{loaded_gb_day:.1f} GB/day / {a['snowflake_compression']} compression x 730 days "
        f"x {1 + a['snowflake_storage_overhead']:.2f} (Time Travel, Fail-safe) = {snowflake_tb:.2f} TB",
        snowflake_tb * p["snowflake_storage_tb_month"],
    )
    m.facts.update(load_credits=load_credits, bi_credits=bi_credits, credits=load_credits + bi_credits)

    # ----- Marquez RDS, CloudWatch, secrets, images, Prefect ---------------------------------------------
    m.add(
        "Lineage (Marquez)",
        "RDS PostgreSQL db.t4g.small, single-AZ",
        f"{_price(p['rds_db_t4g_small_hour'])}/hour + {_price(p['rds_gp3_gb_month'])}/GB-month gp3",
        f"{hours} h + {a['marquez_db_gb']} GB",
        hours * p["rds_db_t4g_small_hour"] + a["marquez_db_gb"] * p["rds_gp3_gb_month"],
    )
    logs_gb = a["log_gb_per_day"] * days
    m.add(
        "Monitoring (CloudWatch)",
        "logs (tasks, VPC flow logs), alarms, Container Insights",
        f"{_price(p['cloudwatch_logs_ingest_gb'])}/GB in, {_price(p['cloudwatch_logs_store_gb_month'])}/GB-month, "
        f"{_price(p['cloudwatch_alarm_month'])}/alarm, {_price(p['cloudwatch_custom_metric_month'])}/metric",
        f"{_n(logs_gb)} GB in, ~2 months kept; 3 alarms; {a['container_insights_metrics']} metrics",
        logs_gb * p["cloudwatch_logs_ingest_gb"]
        + 2 * logs_gb * p["cloudwatch_logs_store_gb_month"]
        + 3 * p["cloudwatch_alarm_month"]
        + a["container_insights_metrics"] * p["cloudwatch_custom_metric_month"],
    )
    m.add(
        "Platform",
        "Secrets Manager",
        f"{_price(p['secrets_manager_secret_month'])}/secret-month",
        f"{a['secrets']} secrets (API calls at task start: cents)",
        a["secrets"] * p["secrets_manager_secret_month"],
    )
    m.add(
        "Platform",
        "ECR images",
        f"{_price(p['ecr_gb_month'])}/GB-month",
        f"{a['ecr_gb']} GB",
        a["ecr_gb"] * p["ecr_gb_month"],
    )
    m.add("Platform", f"Prefect Cloud ({p['prefect_plan']} plan)", "flat", "1 workspace", p["prefect_usd_per_month"])
    return m


def render(inputs: dict[str, Any]) -> str:
    """docs/cost.md as text: the baseline's line items, the S3 and NAT alternatives, the sensitivity table."""
    p, v, a = inputs["prices"], inputs["volumes"], inputs["assumptions"]
    budget = inputs["budget_usd_per_month"]
    quota = credit_quota()
    models = [compute(inputs, s) for s in SCENARIOS]
    base = models[0]
    out: list[str] = []
    w = out.append
    w("# Monthly cost model (AWS us-east-1 + Snowflake + Prefect Cloud)")
    w("")
    w("Generated by `infra/cost_model.py` from `infra/cost_inputs.toml`: do not edit by hand; change the inputs and")
    w("run `.venv/bin/python -m infra.cost_model` (a test fails when this file and its inputs disagree).")
    w("")
    w(
        f"**Prices** are list prices for us-east-1 as of **{p['as_of']}** (on demand, no discounts, no free tier), "
        f"as read from the providers' published price pages on that date; Snowflake {p['snowflake_edition']} at "
        f"{_price(p['snowflake_usd_per_credit'])}/credit; Prefect Cloud's {p['prefect_plan']} plan at "
        f"{_price(p['prefect_usd_per_month'])}/month. Re-check them before any budget decision."
    )
    w("")
    w(
        f"**Volumes** (the brief): {_n(v['orders_history'])} orders of history, "
        f"{_n(v['stripe_events_per_day'])} Stripe events/day, ~{v['wms_files_per_day']} WMS files/day, "
        f"{v['raw_gb_per_day']} GB raw/day, batches every "
        f"{v['batch_minutes']} minutes (fulfillment hourly), raw kept {v['raw_retention_days']} days, "
        f"{v['snowflake_retention_years']} years in Snowflake."
    )
    w("")
    w(
        "**Measured figures** come from BENCHMARKS.md (seconds per batch on a 2-core machine, fakesnow standing in "
        "for Snowflake); each benchmark batch is at least as large as a production 15-minute batch, so processing "
        "times are scaled to the production batch size where the volume is known (payments, WMS) and used as they "
        "are otherwise (orders, consistency: an upper bound). Guesses the benchmarks cannot give (task start-up, "
        "Snowflake against fakesnow, S3 latency, BI usage) are in `[assumptions]` of the inputs and named below."
    )
    w("")
    w(f"## Total: {_usd(base.total)} a month against a budget of {_usd(budget)}")
    w("")
    w(f"Headroom: {_usd(budget - base.total)} ({(budget - base.total) / budget:.0%} of the budget).")
    w("")
    w("| group | line item | unit price | arithmetic | $/month |")
    w("|---|---|---|---|---:|")
    for line in base.lines:
        w(f"| {line.group} | {line.item} | {line.unit_price} | {line.arithmetic} | {_usd(line.usd)} |")
    w(f"| | **total** | | | **{_usd(base.total)}** |")
    w("")
    groups: dict[str, float] = {}
    for line in base.lines:
        groups[line.group] = groups.get(line.group, 0.0) + line.usd
    w("| group | $/month | share |")
    w("|---|---:|---:|")
    for group, usd in sorted(groups.items(), key=lambda kv: -kv[1]):
        w(f"| {group} | {_usd(usd)} | {usd / base.total:.0%} |")
    w("")
    f = base.facts
    w("## S3 requests: one object per event, and what batching or compressing would save")
    w("")
    per_minute = a["receiver_min_tasks"] * a["per_minute_objects_per_task"] * 1440 * inputs["days_per_month"]
    w(
        f"The receiver lands each event as its own object before it answers Stripe (write-once, exactly once): "
        f"{_n(f['puts'])} PUTs a month cost {_usd(f['put_usd'])}, the largest single line above. Landing one object "
        f"per receiver task per minute instead ({a['receiver_min_tasks']} tasks x 1,440 minutes x "
        f"{inputs['days_per_month']} days = {_n(per_minute)} PUTs, {_usd(per_minute / 1000 * p['s3_put_per_1000'])}) "
        f"would save about {_usd(f['put_usd'] - per_minute / 1000 * p['s3_put_per_1000'])} a month, and the payments "
        f"batch's GETs and LISTs would shrink by the same factor. The price is the guarantee: an event would be "
        f"acknowledged before it is durable in S3 (or the receiver must hold Stripe's request open up to a minute), "
        f"so a task lost mid-minute loses what it acknowledged. Stripe's own retries do not cover that. Kept as is; "
        f"revisit with a durable buffer (Kinesis Data Firehose, at its own per-GB price) if the PUT line matters."
    )
    w("")
    gz = a["gzip_ratio"]
    event_stored = f["event_gb_per_day"] * (v["raw_retention_days"] + 1)
    w(
        f"Compression: events are {f['event_gb_per_day']:.1f} GB of the {f['raw_gb_per_day']:.0f} GB landed a day "
        f"(the brief's 450 GB/day is mostly other raw data, not measured here). Gzipping event objects ({gz}:1) would "
        f"keep {event_stored / gz:,.0f} GB instead of {event_stored:,.0f} GB, about "
        f"{_usd(event_stored * (1 - 1 / gz) * p['s3_standard_gb_month_first_50tb'])} a month; compressing the other "
        f"raw data at the same ratio would save about "
        f"{_usd((f['stored_gb'] - event_stored) * (1 - 1 / gz) * p['s3_standard_gb_month_first_50tb'])}."
    )
    w("")
    w(
        f"KMS: without S3 Bucket Keys every PUT and GET would call KMS: {_usd(f['kms_without_bucket_key'])} a month; "
        f"the bucket has them on (`bucket_key_enabled`)."
    )
    w("")
    w("## NAT gateway versus the S3 gateway endpoint")
    w("")
    w(
        f"All S3 traffic from the VPC (the receiver's PUTs, the batches' reads, and the connector's PUTs to a "
        f"Snowflake stage in the same region) goes through the S3 gateway endpoint, which has no charge. Without it, "
        f"writing and reading the {f['raw_gb_per_day']:.0f} GB landed a day through the NAT gateways would add "
        f"about {_usd(f['nat_without_endpoint'])} a month in NAT data processing alone. What is left on NAT "
        f"(Snowflake queries, Prefect Cloud, SFTP, ECR's API) is {a['nat_gb_per_month']} GB a month by assumption."
    )
    w("")
    w("## Snowflake credits")
    w("")
    w(
        f"Warehouse time is billed per second with {p['snowflake_min_seconds_per_resume']} s minimum per resume, and "
        f"AUTO_SUSPEND = 60 keeps an idle warehouse up 60 s after its last query. A 15-minute cycle resumes the "
        f"load warehouse twice (the source publishes at the quarter, the consistency check 7 minutes later) and "
        f"the hourly fulfillment once an hour: the idle minute after each resume costs more than the statements. "
        f"fakesnow's seconds are not Snowflake's: they are multiplied by {a['snowflake_slowdown_vs_fakesnow']} "
        f"(an assumption). Modelled: {f['load_credits']:.0f} load + {f['bi_credits']:.0f} BI = "
        f"**{f['credits']:.0f} credits a month**; the resource monitor in `sql/snowflake/admin/01_warehouses.sql` "
        f"allows {quota} and notifies at 80% ({0.8 * quota:.0f}). Cloud-services credits stay under Snowflake's free "
        f"10% of compute."
    )
    w("")
    w("## Sensitivity")
    w("")
    w(
        f"| scenario | total $/month | vs baseline | headroom to {_usd(budget)} | Snowflake credits "
        "| receiver peak tasks |"
    )
    w("|---|---:|---:|---:|---:|---:|")
    for model in models:
        w(
            f"| {model.scenario.name} | {_usd(model.total)} | {model.total - base.total:+,.2f} | "
            f"{_usd(budget - model.total)} | {model.facts['credits']:.0f} | {model.facts['receiver_peak_tasks']:.0f} |"
        )
    w("")
    w(
        "2x events doubles the PUTs, GETs and LISTs (S3 requests grow fastest), the payments batch time and the "
        "receiver's peak; 2x orders grows batch and warehouse seconds, which are small beside the fixed idle "
        "minute per resume; the 5-minute cadence triples the resumes, so the load warehouse's credits roughly "
        "triple while each batch gets smaller."
    )
    w("")
    over = [m.scenario.name for m in models if m.total > budget]
    w("Every scenario stays under the budget." if not over else f"Over the budget: {', '.join(over)}.")
    notify = [m for m in models if m.facts["credits"] > 0.8 * quota]
    for model in notify:
        w(
            f"{model.scenario.name}: {model.facts['credits']:.0f} credits a month would trip the resource monitor's "
            f"80% notice every month ({0.8 * quota:.0f} of {quota}); raise CREDIT_QUOTA with it."
        )
    w("")
    w("## Not in the model")
    w("")
    w(
        "- Data transfer out to the internet (the receiver's short answers to Stripe: a few GB a month) and "
        "cross-AZ traffic to RDS: cents.\n"
        "- `northstar audit-history` over the 120M-order history (not built yet): its warehouse time adds to the "
        "load warehouse's credits when it runs.\n"
        "- Support plans, Savings Plans or Snowflake capacity discounts, taxes.\n"
        "- AWS WAF on the receiver's ALB (an option in docs/security.md): about $5/month per web ACL + $1 per rule "
        "+ $0.60 per million requests, about $150/month at 240M requests."
    )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Rewrite docs/cost.md; with --check only compare (exit 1 when they differ)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/cost.md is out of date")
    args = parser.parse_args(argv)
    text = render(load_inputs())
    if args.check:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if current != text:
            print("docs/cost.md is out of date: run .venv/bin/python -m infra.cost_model", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
