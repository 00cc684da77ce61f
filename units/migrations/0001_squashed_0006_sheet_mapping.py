"""Units' migrations 0001 to 0006 in one: the models as they stand after them.

Squashed because 0005_bilingual_content was some 600 lines of AlterField that only changed verbose
names and help texts; here those labels (and 0005's two new fields) are part of each CreateModel.
``replaces`` lets a database that applied the six old migrations count as up to date; their files
are gone, and a dependency that still names one of them means this migration.

0004_roles created the role groups (a RunPython that needed the records of policies and portfolio
too); that step now ends portfolio's squashed migration, which comes after all three apps.
"""

import common.db
import django.db.models.deletion
import django_countries.fields
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('units', '0001_initial'), ('units', '0002_region_countries_include_kosovo'), ('units', '0003_user_scope'), ('units', '0004_roles'), ('units', '0005_bilingual_content'), ('units', '0006_historicalsheetmapping_sheetmapping')]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalInstitution',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('code', models.CharField(help_text='Short code, e.g. KU or TMU.', max_length=20, verbose_name='code')),
                ('name', models.CharField(max_length=200, verbose_name='name (English)')),
                ('name_ja', models.CharField(blank=True, max_length=200, verbose_name='name (Japanese)')),
                ('website', models.URLField(blank=True, verbose_name='website')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical institution',
                'verbose_name_plural': 'historical institutions',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalPerson',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('name', models.CharField(max_length=200, verbose_name='name (English)')),
                ('name_ja', models.CharField(blank=True, max_length=200, verbose_name='name (Japanese)')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name='email')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user', models.ForeignKey(blank=True, db_constraint=False, help_text='The login of this person, where they have one.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'historical person',
                'verbose_name_plural': 'historical people',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalRegion',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('code', models.CharField(max_length=30, verbose_name='code')),
                ('name', models.CharField(max_length=200, verbose_name='name (English)')),
                ('name_ja', models.CharField(blank=True, max_length=200, verbose_name='name (Japanese)')),
                ('countries', django_countries.fields.CountryField(blank=True, max_length=749, multiple=True, verbose_name='countries')),
                ('order', models.PositiveSmallIntegerField(default=0, help_text='Position in region lists.', verbose_name='order')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical region',
                'verbose_name_plural': 'historical regions',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Institution',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(help_text='Short code, e.g. KU or TMU.', max_length=20, verbose_name='code')),
                ('name', models.CharField(max_length=200, verbose_name='name (English)')),
                ('name_ja', models.CharField(blank=True, max_length=200, verbose_name='name (Japanese)')),
                ('website', models.URLField(blank=True, verbose_name='website')),
            ],
            options={
                'ordering': ['code'],
                'constraints': [models.UniqueConstraint(common.db.CodeKey('code'), name='units_institution_code_unique', violation_error_message='Another institution already has this code.')],
                'verbose_name': 'institution',
                'verbose_name_plural': 'institutions',
            },
        ),
        migrations.CreateModel(
            name='Person',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200, verbose_name='name (English)')),
                ('name_ja', models.CharField(blank=True, max_length=200, verbose_name='name (Japanese)')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name='email')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('user', models.OneToOneField(blank=True, help_text='The login of this person, where they have one.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='person', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name_plural': 'people',
                'ordering': ['name'],
                'verbose_name': 'person',
            },
        ),
        migrations.CreateModel(
            name='Region',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=30, verbose_name='code')),
                ('name', models.CharField(max_length=200, verbose_name='name (English)')),
                ('name_ja', models.CharField(blank=True, max_length=200, verbose_name='name (Japanese)')),
                ('countries', django_countries.fields.CountryField(blank=True, max_length=749, multiple=True, verbose_name='countries')),
                ('order', models.PositiveSmallIntegerField(default=0, help_text='Position in region lists.', verbose_name='order')),
                ('note', models.TextField(blank=True, verbose_name='note')),
            ],
            options={
                'ordering': ['order', 'code'],
                'constraints': [models.UniqueConstraint(common.db.CodeKey('code'), name='units_region_code_unique', violation_error_message='Another region already has this code.')],
                'verbose_name': 'region',
                'verbose_name_plural': 'regions',
            },
        ),
        migrations.CreateModel(
            name='Unit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=40, verbose_name='code')),
                ('name', models.CharField(max_length=300, verbose_name='name (English)')),
                ('name_ja', models.CharField(blank=True, max_length=300, verbose_name='name (Japanese)')),
                ('kind', models.CharField(choices=[('office', 'Office'), ('overseas_center', 'Overseas center'), ('network_office', 'Network office'), ('faculty', 'Faculty or department'), ('executive_office', 'Executive office'), ('former', 'Former organisation')], default='office', max_length=20, verbose_name='kind')),
                ('host_city', models.CharField(blank=True, max_length=100, verbose_name='host city')),
                ('host_country', django_countries.fields.CountryField(blank=True, max_length=2, verbose_name='host country')),
                ('location', models.CharField(blank=True, help_text='Building or address.', max_length=300, verbose_name='location')),
                ('active_from', models.DateField(blank=True, null=True, verbose_name='active from')),
                ('active_until', models.DateField(blank=True, null=True, verbose_name='active until')),
                ('description', models.TextField(blank=True, verbose_name='description (English)')),
                ('source_note', models.TextField(blank=True, help_text='Where the facts of this record come from, and how precise they are.', verbose_name='source note')),
                ('institution', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='units', to='units.institution', verbose_name='institution')),
                ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='units.unit', verbose_name='parent')),
                ('region', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='units', to='units.region', verbose_name='region')),
                ('description_ja', models.TextField(blank=True, verbose_name='description (Japanese)')),
            ],
            options={
                'ordering': ['institution__code', 'code'],
                'constraints': [models.UniqueConstraint(models.F('institution'), common.db.CodeKey('code'), name='units_unit_code_unique', violation_error_message='Another unit of this institution already has this code.'), models.CheckConstraint(condition=models.Q(('kind__in', ['office', 'overseas_center', 'network_office', 'faculty', 'executive_office', 'former'])), name='units_unit_kind_valid', violation_error_message='Choose one of the listed values for kind.'), models.CheckConstraint(condition=models.Q(('active_until__isnull', True), ('active_from__isnull', True), ('active_until__gte', models.F('active_from')), _connector='OR'), name='units_unit_active_dates_in_order', violation_error_message='A unit cannot stop being active before it starts.'), models.CheckConstraint(condition=models.Q(('parent', models.F('pk')), _negated=True), name='units_unit_not_own_parent', violation_error_message='A unit cannot be its own parent.')],
                'verbose_name': 'unit',
                'verbose_name_plural': 'units',
            },
        ),
        migrations.CreateModel(
            name='HistoricalUnit',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('code', models.CharField(max_length=40, verbose_name='code')),
                ('name', models.CharField(max_length=300, verbose_name='name (English)')),
                ('name_ja', models.CharField(blank=True, max_length=300, verbose_name='name (Japanese)')),
                ('kind', models.CharField(choices=[('office', 'Office'), ('overseas_center', 'Overseas center'), ('network_office', 'Network office'), ('faculty', 'Faculty or department'), ('executive_office', 'Executive office'), ('former', 'Former organisation')], default='office', max_length=20, verbose_name='kind')),
                ('host_city', models.CharField(blank=True, max_length=100, verbose_name='host city')),
                ('host_country', django_countries.fields.CountryField(blank=True, max_length=2, verbose_name='host country')),
                ('location', models.CharField(blank=True, help_text='Building or address.', max_length=300, verbose_name='location')),
                ('active_from', models.DateField(blank=True, null=True, verbose_name='active from')),
                ('active_until', models.DateField(blank=True, null=True, verbose_name='active until')),
                ('description', models.TextField(blank=True, verbose_name='description (English)')),
                ('source_note', models.TextField(blank=True, help_text='Where the facts of this record come from, and how precise they are.', verbose_name='source note')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('institution', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.institution', verbose_name='institution')),
                ('region', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.region', verbose_name='region')),
                ('parent', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.unit', verbose_name='parent')),
                ('description_ja', models.TextField(blank=True, verbose_name='description (Japanese)')),
            ],
            options={
                'verbose_name': 'historical unit',
                'verbose_name_plural': 'historical units',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalAppointment',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('role', models.CharField(choices=[('director', 'Director'), ('vice_director', 'Vice-Director'), ('center_director', 'Director of an overseas center'), ('faculty_member', 'Faculty member'), ('assistant', 'Assistant to an executive'), ('staff', 'Staff member'), ('other', 'Other')], default='staff', max_length=20, verbose_name='role')),
                ('title', models.CharField(max_length=300, verbose_name='role title')),
                ('start', models.DateField(blank=True, null=True, verbose_name='start')),
                ('end', models.DateField(blank=True, null=True, verbose_name='end')),
                ('order', models.PositiveSmallIntegerField(default=0, verbose_name='order')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('person', models.ForeignKey(blank=True, db_constraint=False, help_text='Leave empty for a post whose holder is not recorded.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.person', verbose_name='person')),
                ('unit', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'historical appointment',
                'verbose_name_plural': 'historical appointments',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Appointment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('director', 'Director'), ('vice_director', 'Vice-Director'), ('center_director', 'Director of an overseas center'), ('faculty_member', 'Faculty member'), ('assistant', 'Assistant to an executive'), ('staff', 'Staff member'), ('other', 'Other')], default='staff', max_length=20, verbose_name='role')),
                ('title', models.CharField(max_length=300, verbose_name='role title')),
                ('start', models.DateField(blank=True, null=True, verbose_name='start')),
                ('end', models.DateField(blank=True, null=True, verbose_name='end')),
                ('order', models.PositiveSmallIntegerField(default=0, verbose_name='order')),
                ('person', models.ForeignKey(blank=True, help_text='Leave empty for a post whose holder is not recorded.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='appointments', to='units.person', verbose_name='person')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='appointments', to='units.unit', verbose_name='unit')),
            ],
            options={
                'ordering': ['unit', 'order', 'start'],
                'constraints': [models.CheckConstraint(condition=models.Q(('role__in', ['director', 'vice_director', 'center_director', 'faculty_member', 'assistant', 'staff', 'other'])), name='units_appointment_role_valid', violation_error_message='Choose one of the listed values for role.'), models.CheckConstraint(condition=models.Q(('end__isnull', True), ('start__isnull', True), ('end__gte', models.F('start')), _connector='OR'), name='units_appointment_dates_in_order', violation_error_message='An appointment cannot end before it starts.')],
                'verbose_name': 'appointment',
                'verbose_name_plural': 'appointments',
            },
        ),
        migrations.CreateModel(
            name='HistoricalUserScope',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'historical scope of a user',
                'verbose_name_plural': 'historical scopes of users',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='UserScope',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('institutions', models.ManyToManyField(blank=True, help_text='Every record of these institutions is within reach.', related_name='user_scopes', to='units.institution', verbose_name='institutions')),
                ('units', models.ManyToManyField(blank=True, help_text="A unit editor edits these units' records; their institutions are read.", related_name='user_scopes', to='units.unit', verbose_name='units')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='scope', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'scope of a user',
                'permissions': [('view_dashboards', 'Can read the leadership dashboards')],
                'verbose_name_plural': 'scopes of users',
            },
        ),
        migrations.CreateModel(
            name='HistoricalUserScope_units',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='units.historicaluserscope')),
                ('unit', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.unit')),
                ('userscope', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.userscope')),
            ],
            options={
                'verbose_name': 'HistoricalUserScope_units',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalUserScope_institutions',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='units.historicaluserscope')),
                ('institution', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.institution')),
                ('userscope', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.userscope')),
            ],
            options={
                'verbose_name': 'HistoricalUserScope_institutions',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalSheetMapping',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('kind', models.CharField(max_length=30, verbose_name='kind of sheet')),
                ('name', models.CharField(max_length=120, verbose_name='name')),
                ('signature', models.CharField(editable=False, help_text='A digest of the headers.', max_length=64, verbose_name='headers')),
                ('headers', models.JSONField(default=list, verbose_name='headers')),
                ('columns', models.JSONField(default=dict, verbose_name='columns')),
                ('values', models.JSONField(default=dict, verbose_name='values')),
                ('updated_at', models.DateTimeField(blank=True, editable=False, verbose_name='updated at')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('institution', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.institution', verbose_name='institution')),
            ],
            options={
                'verbose_name': 'historical sheet mapping',
                'verbose_name_plural': 'historical sheet mappings',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='SheetMapping',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=30, verbose_name='kind of sheet')),
                ('name', models.CharField(max_length=120, verbose_name='name')),
                ('signature', models.CharField(editable=False, help_text='A digest of the headers.', max_length=64, verbose_name='headers')),
                ('headers', models.JSONField(default=list, verbose_name='headers')),
                ('columns', models.JSONField(default=dict, verbose_name='columns')),
                ('values', models.JSONField(default=dict, verbose_name='values')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('institution', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sheet_mappings', to='units.institution', verbose_name='institution')),
            ],
            options={
                'verbose_name': 'sheet mapping',
                'verbose_name_plural': 'sheet mappings',
                'ordering': ['institution', 'kind', 'name'],
                'constraints': [models.UniqueConstraint(fields=('institution', 'kind', 'name'), name='sheet_mapping_name_unique')],
            },
        ),
    ]
