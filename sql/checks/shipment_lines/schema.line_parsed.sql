-- Lines whose text did not convert: wrong field count, a broken quote, a non-integer number or a timestamp
-- without UTC offset (northstar/sources/wms_formats.py names the problem in parse_error).
SELECT _row_id FROM batch WHERE parse_error IS NOT NULL
