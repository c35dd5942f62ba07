-- Lines whose text did not convert: wrong field count, a broken quote, a non-integer number, a timestamp
-- without UTC offset or an X12 time code that cannot be read (northstar/sources/wms/formats/ names the
-- problem in parse_error).
SELECT _row_id FROM batch WHERE parse_error IS NOT NULL
