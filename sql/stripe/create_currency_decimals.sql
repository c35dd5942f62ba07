-- How many decimals a currency's minor unit has in Stripe amounts (2 unless listed), from validators/stripe.py.
CREATE OR REPLACE TABLE stripe_currency_decimals AS
SELECT unnest($zero_decimal_currencies) AS currency, 0 AS decimals
UNION ALL
SELECT unnest($three_decimal_currencies) AS currency, 3 AS decimals
