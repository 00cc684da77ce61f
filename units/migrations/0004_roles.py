"""The five roles as groups, each with exactly the permissions ``common.roles`` gives it."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from common.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("common", "0001_initial"),
        ("units", "0003_user_scope"),
        ("policies", "0001_initial"),
        ("portfolio", "0003_dashboard_indexes_with_partner_and_unit"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
