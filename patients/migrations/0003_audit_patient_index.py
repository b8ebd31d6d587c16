"""Index the audit trail by patient on PostgreSQL, so a patient's access log (a filter on
``additional_data -> 'patient_id'``) reads that patient's entries, not the whole trail.

SQLite compares that key through a ``CASE`` over parameters, which no expression index can
match; SQLite is the embedded development default, where the trail stays small.
"""

from django.db import migrations

INDEX = "auditlog_logentry_patient_id"
POSTGRES_INSTALL = (
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON auditlog_logentry ((additional_data -> 'patient_id'))"
)
POSTGRES_UNINSTALL = f"DROP INDEX IF EXISTS {INDEX}"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_INSTALL)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UNINSTALL)


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_audit_append_only")]

    operations = [migrations.RunPython(install, uninstall)]
