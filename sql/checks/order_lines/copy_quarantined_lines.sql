COPY (
    SELECT _row_id AS _source_row, to_json(reasons) AS reasons, raw_record
    FROM quarantined
) TO '$folder/lines_quarantined.parquet' (FORMAT parquet)
