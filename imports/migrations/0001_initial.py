"""The import batches move here from ``common``: the state only, the tables stay as they are.

The next migration gives the tables this app's names; ``common``'s 0008 forgets the models.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('common', '0007_historicalimportbatch_mapping_importbatch_mapping'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='HistoricalImportBatch',
                fields=[
                    ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                    ('kind', models.CharField(max_length=30, verbose_name='kind')),
                    ('file_name', models.CharField(max_length=255, verbose_name='file name')),
                    ('stored_name', models.CharField(editable=False, max_length=80, verbose_name='stored name')),
                    ('sha256', models.CharField(blank=True, editable=False, help_text='SHA-256 of the uploaded file; two confirmations of one file are serialised.', max_length=64, verbose_name='sha256')),
                    ('status', models.CharField(choices=[('previewed', 'Previewed'), ('applied', 'Imported'), ('undone', 'Undone'), ('expired', 'Expired')], max_length=20, verbose_name='status')),
                    ('counts', models.JSONField(default=dict, verbose_name='counts')),
                    ('columns', models.JSONField(default=dict, help_text='Per column, how many stored records the import changes; and the columns the sheet leaves out, whose fields it leaves as they are.', verbose_name='columns')),
                    ('mapping', models.JSONField(blank=True, default=dict, help_text="How the sheet's headers and values were read, as the steward chose them.", verbose_name='mapping')),
                    ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name='created at')),
                    ('applied_at', models.DateTimeField(blank=True, null=True, verbose_name='applied at')),
                    ('undone_at', models.DateTimeField(blank=True, null=True, verbose_name='undone at')),
                    ('history_id', models.AutoField(primary_key=True, serialize=False)),
                    ('history_date', models.DateTimeField(db_index=True)),
                    ('history_change_reason', models.TextField(null=True)),
                    ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                    ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('undone_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='undone by')),
                    ('user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                ],
                options={
                    'db_table': 'common_historicalimportbatch',
                    'verbose_name': 'historical import batch',
                    'verbose_name_plural': 'historical import batches',
                    'ordering': ('-history_date', '-history_id'),
                    'get_latest_by': ('history_date', 'history_id'),
                },
                bases=(simple_history.models.HistoricalChanges, models.Model),
            ),
            migrations.CreateModel(
                name='ImportBatch',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('kind', models.CharField(max_length=30, verbose_name='kind')),
                    ('file_name', models.CharField(max_length=255, verbose_name='file name')),
                    ('stored_name', models.CharField(editable=False, max_length=80, verbose_name='stored name')),
                    ('sha256', models.CharField(blank=True, editable=False, help_text='SHA-256 of the uploaded file; two confirmations of one file are serialised.', max_length=64, verbose_name='sha256')),
                    ('status', models.CharField(choices=[('previewed', 'Previewed'), ('applied', 'Imported'), ('undone', 'Undone'), ('expired', 'Expired')], max_length=20, verbose_name='status')),
                    ('counts', models.JSONField(default=dict, verbose_name='counts')),
                    ('errors', models.JSONField(default=list, help_text='Row errors of the latest preview.', verbose_name='errors')),
                    ('sample', models.JSONField(default=list, verbose_name='sample')),
                    ('columns', models.JSONField(default=dict, help_text='Per column, how many stored records the import changes; and the columns the sheet leaves out, whose fields it leaves as they are.', verbose_name='columns')),
                    ('mapping', models.JSONField(blank=True, default=dict, help_text="How the sheet's headers and values were read, as the steward chose them.", verbose_name='mapping')),
                    ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                    ('applied_at', models.DateTimeField(blank=True, null=True, verbose_name='applied at')),
                    ('undone_at', models.DateTimeField(blank=True, null=True, verbose_name='undone at')),
                    ('undone_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='undone by')),
                    ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='import_batches', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                ],
                options={
                    'db_table': 'common_importbatch',
                    'verbose_name': 'import batch',
                    'verbose_name_plural': 'import batches',
                    'ordering': ['-created_at'],
                    'permissions': [('import_sheets', 'Can import spreadsheets'), ('undo_importbatch', 'Can undo an import batch'), ('undo_own_importbatch', 'Can undo their own import batches')],
                    'indexes': [models.Index(fields=['kind', 'sha256'], name='common_importbatch_content')],
                    'constraints': [models.CheckConstraint(condition=models.Q(('status__in', ['previewed', 'applied', 'undone', 'expired'])), name='common_importbatch_status_valid', violation_error_message='Choose one of the listed values for status.')],
                },
            ),
            ],
            database_operations=[],
        ),
    ]
