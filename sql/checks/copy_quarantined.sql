-- The quarantined rows with their identity, _row_key: the SHA-256 of the raw record (every column as read,
-- for WMS lines their file's path and sha256 and their position in it) and its copy number among identical
-- rows of the batch, so two identical source rows stay two rows and a later batch re-reading them finds the
-- same keys. The warehouse keeps one quarantine row per key (sql/snowflake/insert_into_quarantine_*.sql).
COPY (
    SELECT _row_id AS _source_row, to_json(reasons) AS reasons, raw_record,
           sha256(raw_record::VARCHAR) || '#'
               || row_number() OVER (PARTITION BY raw_record::VARCHAR ORDER BY _row_id) AS _row_key
    FROM quarantined
) TO '$folder/quarantined.parquet' (FORMAT parquet)
