COPY (SELECT * EXCLUDE (_row_id) FROM passed) TO '$folder/lines_passed.parquet' (FORMAT parquet)
