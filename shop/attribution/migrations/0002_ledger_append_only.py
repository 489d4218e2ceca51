"""On PostgreSQL, refuse UPDATE and DELETE on the ledger in the database itself,
so no code path (raw SQL, a bulk update, an admin tool) can rewrite history.
TRUNCATE (the test suite's flush) is a separate statement and stays allowed."""
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION attribution_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'attribution ledger entries are append-only (%% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER attribution_ledger_append_only
    BEFORE UPDATE OR DELETE ON attribution_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION attribution_ledger_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS attribution_ledger_append_only ON attribution_ledgerentry;
DROP FUNCTION IF EXISTS attribution_ledger_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("attribution", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
