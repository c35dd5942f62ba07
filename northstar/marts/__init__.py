"""The certified marts: the dbt project in dbt/, its publications (blue/green, rollback), diffs and contracts."""
