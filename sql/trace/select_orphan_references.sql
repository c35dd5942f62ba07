-- trace --payment / --shipment: the reference orphaned when its order never arrived.
SELECT * FROM QUARANTINE.ORPHAN_REFERENCES WHERE REF_KEY = %(id)s ORDER BY _QUARANTINED_AT;
