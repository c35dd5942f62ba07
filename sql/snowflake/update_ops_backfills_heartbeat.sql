-- A running backfill's flow process is alive (flows/backfill.py, every heartbeat interval while windows run).
UPDATE OPS.BACKFILLS SET HEARTBEAT_AT = %(now)s WHERE BACKFILL_ID = %(backfill_id)s AND STATUS = 'RUNNING';
