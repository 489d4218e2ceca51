"""The database refuses more units allocated than in stock on Oscar's
``partner_stockrecord`` (Oscar's ``StockRecord.allocate()`` is an unconditional
``F()`` increment), without forking Oscar's partner app.

- PostgreSQL: a CHECK constraint (existing rows are validated when it is added).
- SQLite cannot add a CHECK to an existing table: BEFORE INSERT and BEFORE UPDATE
  triggers abort with the text SQLite gives for a failed CHECK, which Django raises
  as ``django.db.IntegrityError``.  SQLite drops a table's triggers when Django
  rebuilds the table (an AlterField on it), so this migration runs after every
  partner migration there is; a future Oscar migration that alters
  partner_stockrecord would need the triggers created again.

A NULL ``num_allocated`` or ``num_in_stock`` passes, as a CHECK does.  The name
``stockrecord_allocated_lte_in_stock`` appears in both errors
(``shop.checkout.stock.STOCK_CONSTRAINT``)."""
from django.db import migrations

NAME = "stockrecord_allocated_lte_in_stock"

POSTGRESQL = [
    f"ALTER TABLE partner_stockrecord ADD CONSTRAINT {NAME} "
    "CHECK (num_allocated IS NULL OR num_allocated <= num_in_stock)",
]
POSTGRESQL_REVERSE = [f"ALTER TABLE partner_stockrecord DROP CONSTRAINT IF EXISTS {NAME}"]

SQLITE = [
    f"CREATE TRIGGER {NAME}_{event.lower()} BEFORE {event} ON partner_stockrecord FOR EACH ROW "
    "WHEN NEW.num_allocated IS NOT NULL AND NEW.num_allocated > NEW.num_in_stock "
    f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {NAME}'); END"
    for event in ("INSERT", "UPDATE")
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {NAME}_{event}" for event in ("insert", "update")]

FORWARDS = {"postgresql": POSTGRESQL, "sqlite": SQLITE}
BACKWARDS = {"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}


def forwards(apps, schema_editor):
    for statement in FORWARDS.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    for statement in BACKWARDS.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0001_initial"),
        # 0001_initial created num_in_stock and num_allocated; 0006 is the last
        # migration that alters partner_stockrecord (a table rebuild on SQLite).
        ("partner", "0007_partneraddress_code"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
