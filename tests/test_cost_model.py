"""docs/cost.md is what infra/cost_model.py makes of infra/cost_inputs.toml, and the model stays in budget."""

from __future__ import annotations

from infra.cost_model import OUTPUT, SCENARIOS, Scenario, compute, credit_quota, load_inputs, main, render


def test_committed_cost_document_is_the_models_output() -> None:
    assert OUTPUT.read_text() == render(load_inputs()), "run .venv/bin/python -m infra.cost_model"
    assert main(["--check"]) == 0


def test_total_and_every_scenario_under_budget() -> None:
    inputs = load_inputs()
    budget = inputs["budget_usd_per_month"]
    totals = {s.name: compute(inputs, s).total for s in SCENARIOS}
    assert 1000 < totals["baseline"] < budget
    assert all(total < budget for total in totals.values()), totals
    assert totals["2x Stripe events"] > totals["baseline"]
    assert totals["5-minute cadence"] > totals["baseline"]


def test_lines_follow_their_inputs() -> None:
    """Two lines recomputed by hand from the inputs: storage and PUTs, the largest ones."""
    inputs = load_inputs()
    p, v = inputs["prices"], inputs["volumes"]
    lines = {line.item: line.usd for line in compute(inputs, Scenario("baseline")).lines}
    stored = v["raw_gb_per_day"] * (v["raw_retention_days"] + 1)
    assert stored < 51_200  # first tier only
    assert abs(lines["S3 Standard, raw/ kept 90 days"] - stored * p["s3_standard_gb_month_first_50tb"]) < 0.01
    puts = v["stripe_events_per_day"] * inputs["days_per_month"]
    assert lines["S3 PUTs (one object per Stripe event)"] >= puts / 1000 * p["s3_put_per_1000"]
    doubled = {line.item: line.usd for line in compute(inputs, Scenario("x", events_factor=2)).lines}
    assert doubled["S3 PUTs (one object per Stripe event)"] > 1.99 * lines["S3 PUTs (one object per Stripe event)"]


def test_resource_monitor_quota_covers_the_modelled_credits() -> None:
    credits = compute(load_inputs(), Scenario("baseline")).facts["credits"]
    assert credits <= 0.8 * credit_quota(), "a normal month must not trip the 80% notice"
