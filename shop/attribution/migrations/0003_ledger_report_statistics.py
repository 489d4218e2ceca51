"""Extended statistics for the report queries (``shop.attribution.reports``).

Every report groups the ledger first by (group, household) to count the
households reached. PostgreSQL estimates the number of such groups by
multiplying the columns' distinct counts (2,000 households × 300 villages →
capped at a tenth of the table), so on 1,000,000 entries it planned a sort
spilling 55 MB to disk, and JIT compilation, for what are in fact ~2,000
groups (a household lives in one village): 1.15 s for the village report,
0.2–0.6 s (depending on the machine's load) once the planner knows. Statistics
objects (``ndistinct``) tell it, cost nothing on INSERT (they are only
computed by ANALYZE) and need no index, so writes stay as cheap as they were.
No index is added: the unfiltered reports read the whole table anyway, and the
cooperative and month filters already have (market_subject, month) and
(month)."""
from django.db import migrations

PAIRS = ("village_id", "county_id", "city_id", "brand_id", "channel", "month")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in PAIRS:
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS ledger_household_{column.removesuffix('_id')} (ndistinct) "
            f"ON household_id, {column} FROM attribution_ledgerentry"
        )
    schema_editor.execute("ANALYZE attribution_ledgerentry")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in PAIRS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS ledger_household_{column.removesuffix('_id')}")


class Migration(migrations.Migration):
    dependencies = [("attribution", "0002_ledger_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
