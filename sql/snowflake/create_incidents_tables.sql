-- Incidents (northstar/incidents.py): one per cause (source, check, business day), however many runs saw it.
CREATE TABLE IF NOT EXISTS OPS.INCIDENTS (
    INCIDENT_ID     VARCHAR NOT NULL,        -- INC-<business day>-<6 hex>
    CAUSE_KEY       VARCHAR NOT NULL,        -- <source>|<check id>|<business day>
    SOURCE          VARCHAR NOT NULL,
    CHECK_ID        VARCHAR NOT NULL,
    BUSINESS_DATE   DATE NOT NULL,
    STATUS          VARCHAR NOT NULL,        -- open, investigating, corrected, closed
    SUMMARY         VARCHAR,                 -- the failing check's measured value when it opened
    FIRST_BATCH_ID  VARCHAR NOT NULL,        -- the batch that opened it
    LAST_BATCH_ID   VARCHAR NOT NULL,        -- the newest batch that failed the same way
    OCCURRENCES     NUMBER(38, 0) NOT NULL,  -- how many batches failed the same way
    CLASSIFICATION  VARCHAR,                 -- the last investigation's verdict
    CORRECTION_ID   VARCHAR,                 -- the correction that fixed it (status corrected)
    OPENED_AT       TIMESTAMP_NTZ NOT NULL,
    UPDATED_AT      TIMESTAMP_NTZ NOT NULL,
    CLOSED_AT       TIMESTAMP_NTZ,
    CLOSE_REASON    VARCHAR
);

-- Every transition of an incident (and every further batch that saw its cause), with who and why.
CREATE TABLE IF NOT EXISTS OPS.INCIDENT_EVENTS (
    INCIDENT_ID  VARCHAR NOT NULL,
    EVENT        VARCHAR NOT NULL,           -- opened, seen_again, investigating, corrected, closed
    FROM_STATUS  VARCHAR,
    TO_STATUS    VARCHAR NOT NULL,
    BATCH_ID     VARCHAR,
    ACTOR        VARCHAR NOT NULL,
    DETAILS      VARCHAR,
    EVENT_AT     TIMESTAMP_NTZ NOT NULL
);
