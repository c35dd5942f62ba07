INSERT INTO OPS.MART_PUBLICATIONS (PUBLICATION_ID, GATE_BATCH_ID, SCHEMA_NAME, CORE_BATCHES, STATUS, CREATED_AT)
SELECT %(publication_id)s, %(gate_batch_id)s, %(schema_name)s, PARSE_JSON(%(core_batches)s), 'building', %(created_at)s
