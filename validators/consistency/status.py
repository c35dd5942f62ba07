"""Status agreement: a rule table over orders, payments, disputes and shipments, evaluated on every run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from northstar.sqlfiles import bound_params, read_sql
from validators.consistency.common import scalar
from validators.result import CheckResult, Severity


@dataclass(frozen=True)
class StatusRule:
    """A rule: its query in sql/consistency/<rule_id>.sql returns (order_id, evidence) per violation."""

    rule_id: str
    severity: Severity
    expected: str


STATUS_RULES = (
    StatusRule("status.shipped_never_paid", Severity.WARN, "nothing ships before a capture"),
    StatusRule("status.cancelled_but_shipped", Severity.WARN, "a cancelled order ships nothing"),
    StatusRule(
        "status.refunded_still_completed", Severity.WARN, "a fully refunded order is not paid, shipped or delivered"
    ),
    StatusRule("status.paid_not_shipped", Severity.WARN, "a paid order ships within NORTHSTAR_UNSHIPPED_DAYS"),
    StatusRule("status.dispute_lost_counted", Severity.WARN, "an order whose dispute was lost is not counted as sold"),
)


def check_statuses(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> list[CheckResult]:
    """Every rule over the touched orders (and the paid orders turning N days old); violations in out_violations."""
    con.execute(
        "CREATE OR REPLACE TABLE out_violations (rule_id VARCHAR, severity VARCHAR, order_id BIGINT, evidence VARCHAR)"
    )
    checked = scalar(con, "SELECT count(*) FROM (SELECT order_id FROM orders UNION SELECT order_id FROM aging_orders)")
    return run_rules(con, STATUS_RULES, params, "orders", checked)


def run_rules(
    con: duckdb.DuckDBPyConnection, rules: tuple[StatusRule, ...], params: dict[str, Any], dataset: str, checked: int
) -> list[CheckResult]:
    """Each rule's violations into out_violations (OPS.STATUS_VIOLATIONS), and its result over `checked` orders."""
    results = []
    for rule in rules:
        sql = read_sql(f"consistency/{rule.rule_id}.sql")
        con.execute(
            f"INSERT INTO out_violations SELECT $rule_id, $severity, order_id, evidence FROM ({sql})",
            bound_params(sql, params) | {"rule_id": rule.rule_id, "severity": rule.severity.value},
        )
        failed = scalar(con, "SELECT count(*) FROM out_violations WHERE rule_id = $r", {"r": rule.rule_id})
        results.append(
            CheckResult(
                rule.rule_id, dataset, rule.severity, checked, failed, rule.expected, f"{failed} orders violate"
            )
        )
    return results
