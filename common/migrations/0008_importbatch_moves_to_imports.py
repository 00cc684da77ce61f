"""The import batches now belong to the ``imports`` app: ``common`` forgets the models (their
tables stay, ``imports`` renames them) and their content types, and so their permissions and
admin log entries, follow them."""

from django.db import migrations

MODELS = ("importbatch", "historicalimportbatch")


def move_content_types(apps, schema_editor, source="common", target="imports"):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        old = content_type.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue
        # A fresh database may have made the new one already, with no grant to keep.
        content_type.objects.filter(app_label=target, model=model).delete()
        old.app_label = target
        old.save(update_fields=["app_label"])


def move_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="imports", target="common")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("common", "0007_historicalimportbatch_mapping_importbatch_mapping"),
        ("imports", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="HistoricalImportBatch"),
                migrations.DeleteModel(name="ImportBatch"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_back),
    ]
