-- An applied adjustment's row (flows/corrections_apply.py), once: a second apply of the correction inserts nothing.
-- Published rows are never edited in place; a reversal is another correction with the opposite amount.
INSERT INTO MARTS.REVENUE_ADJUSTMENTS (BUSINESS_DAY, CURRENCY, AMOUNT_MINOR, REASON, CORRECTION_ID, CREATED_AT)
SELECT %(business_day)s, %(currency)s, %(amount_minor)s, %(reason)s, %(correction_id)s, %(created_at)s
WHERE NOT EXISTS (SELECT 1 FROM MARTS.REVENUE_ADJUSTMENTS WHERE CORRECTION_ID = %(correction_id)s);
