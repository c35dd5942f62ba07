-- The status and fulfillment rules' violations (OPS.STATUS_VIOLATIONS), appended to by the check runner.
CREATE OR REPLACE TABLE out_violations (rule_id VARCHAR, severity VARCHAR, order_id BIGINT, evidence VARCHAR)
