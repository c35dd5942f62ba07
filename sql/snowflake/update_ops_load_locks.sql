-- Take a lock for the rest of the transaction: the first statement after BEGIN.
UPDATE OPS.LOAD_LOCKS SET HELD_BY = %(owner)s, HELD_AT = %(now)s WHERE NAME = %(name)s;
