-- The incidents, newest first (the status page shows the open ones).
SELECT * FROM OPS.INCIDENTS LIMIT 500;
