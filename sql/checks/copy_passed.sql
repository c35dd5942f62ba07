COPY (SELECT * EXCLUDE (_row_id) FROM passed) TO '$folder/passed.parquet' (FORMAT parquet)
