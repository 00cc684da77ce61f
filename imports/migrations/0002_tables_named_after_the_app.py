"""The tables, index and check of import batches take this app's names."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('imports', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelTable(
            name='historicalimportbatch',
            table=None,
        ),
        migrations.AlterModelTable(
            name='importbatch',
            table=None,
        ),
        migrations.RemoveConstraint(
            model_name='importbatch',
            name='common_importbatch_status_valid',
        ),
        migrations.RenameIndex(
            model_name='importbatch',
            new_name='imports_importbatch_content',
            old_name='common_importbatch_content',
        ),
        migrations.AddConstraint(
            model_name='importbatch',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['previewed', 'applied', 'undone', 'expired'])), name='imports_importbatch_status_valid', violation_error_message='Choose one of the listed values for status.'),
        ),
    ]
