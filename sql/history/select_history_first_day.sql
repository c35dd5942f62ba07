-- The earliest moment the consistency history holds from %(since)s (naive UTC): its first business day's start.
SELECT MIN(AT_TIME) AS FIRST_AT
FROM (
    SELECT MIN(CREATED_AT) AS AT_TIME FROM CORE.ORDERS WHERE _DELETED_AT IS NULL AND CREATED_AT >= %(since)s
    UNION ALL
    SELECT MIN(CREATED_AT) FROM CORE.PAYMENTS WHERE CREATED_AT >= %(since)s
    UNION ALL
    SELECT MIN(CREATED_AT) FROM CORE.REFUNDS_COUNTED WHERE CREATED_AT >= %(since)s
)
