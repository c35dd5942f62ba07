-- The quarantined lines with their identity, as sql/checks/copy_quarantined.sql: the lines table has no key.
COPY (
    SELECT _row_id AS _source_row, to_json(reasons) AS reasons, raw_record,
           sha256(raw_record::VARCHAR) || '#'
               || row_number() OVER (PARTITION BY raw_record::VARCHAR ORDER BY _row_id) AS _row_key
    FROM quarantined
) TO '$folder/lines_quarantined.parquet' (FORMAT parquet)
