-- The landed file as extracted, each row numbered by its position in the file. hive_partitioning is
-- off: the landing path's dt=/batch= folders are not columns of the data.
CREATE OR REPLACE TABLE raw_batch AS
SELECT file_row_number AS _row_id, * EXCLUDE (file_row_number)
FROM read_parquet($path, file_row_number = true, hive_partitioning = false)
