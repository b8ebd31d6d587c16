"""Make the audit trail append-only in the database itself: UPDATE and DELETE on auditlog's
table are refused by a trigger, whatever code (or person with a SQL prompt) tries them.

The same trigger is written for PostgreSQL and SQLite; ``install`` and ``uninstall`` are also used
by tests/patients/test_audit.py, so the SQL tested is the SQL shipped.
"""

from django.db import migrations

MESSAGE = "audit records are append-only"

SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS auditlog_logentry_no_update
    BEFORE UPDATE ON auditlog_logentry
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS auditlog_logentry_no_delete
    BEFORE DELETE ON auditlog_logentry
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS auditlog_logentry_no_update",
    "DROP TRIGGER IF EXISTS auditlog_logentry_no_delete",
]
POSTGRES_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION stagewise_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
    END $$""",
    "DROP TRIGGER IF EXISTS auditlog_logentry_append_only ON auditlog_logentry",
    """CREATE TRIGGER auditlog_logentry_append_only
    BEFORE UPDATE OR DELETE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION stagewise_audit_append_only()""",
    "DROP TRIGGER IF EXISTS auditlog_logentry_no_truncate ON auditlog_logentry",
    """CREATE TRIGGER auditlog_logentry_no_truncate
    BEFORE TRUNCATE ON auditlog_logentry
    FOR EACH STATEMENT EXECUTE FUNCTION stagewise_audit_append_only()""",
]
POSTGRES_UNINSTALL = [
    "DROP TRIGGER IF EXISTS auditlog_logentry_append_only ON auditlog_logentry",
    "DROP TRIGGER IF EXISTS auditlog_logentry_no_truncate ON auditlog_logentry",
    "DROP FUNCTION IF EXISTS stagewise_audit_append_only()",
]


def _run(schema_editor, statements_by_vendor):
    vendor = schema_editor.connection.vendor
    if vendor not in statements_by_vendor:
        raise RuntimeError(f"No append-only audit guard for the {vendor} database.")
    for statement in statements_by_vendor[vendor]:
        schema_editor.execute(statement)


def install(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_INSTALL, "postgresql": POSTGRES_INSTALL})


def uninstall(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_UNINSTALL, "postgresql": POSTGRES_UNINSTALL})


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0001_initial"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
