-- Monitoring (flows/monitor.py, northstar/monitoring/): every reading of every monitor run, the alerts with
-- their state and the message each still owes Slack, and what people did to them (mutes).
CREATE TABLE IF NOT EXISTS OPS.MONITOR_READINGS (
    RUN_ID       VARCHAR NOT NULL,        -- the monitor run that took it
    MONITOR      VARCHAR NOT NULL,        -- freshness, volume, volume_zero, quarantine_rate, ... (an alert kind)
    SUBJECT      VARCHAR NOT NULL,        -- a source, a quarantine table and reason, a reference kind, a metric
    VALUE        FLOAT,                   -- null: nothing to measure (no history, never run)
    WARN_AT      FLOAT,
    PAGE_AT      FLOAT,
    STATUS       VARCHAR NOT NULL,        -- ok, warn or page
    BATCH_ID     VARCHAR,
    DAY          DATE,
    DETAIL       VARCHAR NOT NULL,        -- one sentence: what was measured against what
    EXPECTED     FLOAT,                   -- volume: the baseline (median of the same window over 4 weeks)
    BAND_LOW     FLOAT,                   -- volume: the expected band
    BAND_HIGH    FLOAT,
    MEASURED_AT  TIMESTAMP_NTZ NOT NULL
);

-- One row per alert key: its state, counts, and the Slack message it still owes (PENDING).
CREATE TABLE IF NOT EXISTS OPS.ALERTS (
    ALERT_KEY          VARCHAR NOT NULL,  -- <kind>:<subject>, e.g. freshness:orders
    KIND               VARCHAR NOT NULL,  -- the monitor, and the runbook docs/runbooks/<kind>.md
    SEVERITY           VARCHAR NOT NULL,  -- warn or page
    STATE              VARCHAR NOT NULL,  -- firing, resolved or muted
    SUMMARY            VARCHAR NOT NULL,
    DETAIL             VARCHAR,           -- the newest reading's JSON (value, thresholds, batch, day, detail)
    FIRST_SEEN         TIMESTAMP_NTZ NOT NULL,
    LAST_SEEN          TIMESTAMP_NTZ NOT NULL,
    OCCURRENCES        NUMBER(38, 0) NOT NULL,   -- monitor runs that found it firing since FIRST_SEEN
    RESOLVED_AT        TIMESTAMP_NTZ,
    NOTIFIED_AT        TIMESTAMP_NTZ,     -- the last message Slack accepted for it
    PENDING            VARCHAR,           -- firing, reminder or resolved: the message owed; null: none
    DELIVERY_ATTEMPTS  NUMBER(38, 0) NOT NULL,   -- failed sends of the pending message
    LAST_ERROR         VARCHAR,
    MUTED_UNTIL        TIMESTAMP_NTZ,
    MUTED_STATE        VARCHAR            -- while muted: firing or resolved underneath
);

-- What happened to alerts besides readings: mutes (who, why, until), deliveries and failed deliveries.
CREATE TABLE IF NOT EXISTS OPS.ALERT_EVENTS (
    ALERT_KEY  VARCHAR NOT NULL,
    EVENT      VARCHAR NOT NULL,          -- muted, sent, send_failed, test
    ACTOR      VARCHAR NOT NULL,          -- a person (NORTHSTAR_USER or the OS user) or monitor
    REASON     VARCHAR,
    DETAIL     VARCHAR,
    EVENT_AT   TIMESTAMP_NTZ NOT NULL
);
