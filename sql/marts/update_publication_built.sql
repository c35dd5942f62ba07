UPDATE OPS.MART_PUBLICATIONS
SET DBT_INVOCATION_ID = %(invocation_id)s, MODEL_VERSIONS = PARSE_JSON(%(model_versions)s), SQL_HASH = %(sql_hash)s,
    ROW_COUNTS = PARSE_JSON(%(row_counts)s), MANIFEST_KEY = %(manifest_key)s, STATUS = %(status)s,
    REASON = %(reason)s, DBT_SECONDS = %(dbt_seconds)s
WHERE PUBLICATION_ID = %(publication_id)s
