-- Split the batch: a row with any error-severity failure is quarantined with every reason it failed.
CREATE OR REPLACE TABLE row_reasons AS
SELECT _row_id, list(DISTINCT check_id ORDER BY check_id) AS reasons
FROM failures
WHERE severity = 'error'
GROUP BY _row_id;

CREATE OR REPLACE TABLE quarantined AS
SELECT raw._row_id, r.reasons, json_remove(to_json(raw), '$._row_id') AS raw_record
FROM raw_batch AS raw
JOIN row_reasons AS r USING (_row_id);

CREATE OR REPLACE VIEW passed AS
SELECT b.*
FROM batch AS b
ANTI JOIN row_reasons AS r USING (_row_id)
