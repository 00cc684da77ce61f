"""Portfolio's migrations 0001 to 0006 in one: the models as they stand after them, then the roles.

Squashed because 0004_bilingual_content was some 800 lines of AlterField that only changed
verbose names and help texts; here those labels (and 0004's four new fields, and the indexes and
constraints of 0002, 0003 and 0005) are part of each CreateModel. ``replaces`` lets a database
that applied the six old migrations count as up to date; their files are gone, and a dependency
that still names one of them means this migration.

The last operation is units' former 0004_roles: it creates the role groups with the permissions
``common.roles`` gives them. It needs the records of units, policies and portfolio to exist, so it
runs here, after all three; ``sync_roles`` also runs after every ``migrate``.
"""

import common.db
import django.db.models.deletion
import django_countries.fields
import portfolio.models
import simple_history.models
from django.conf import settings
from django.db import migrations, models


def create_roles(apps, schema_editor):
    """The five roles as groups, each with exactly the permissions ``common.roles`` gives it.

    (units' former 0004_roles.)"""
    from common.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):

    replaces = [('portfolio', '0001_initial'), ('portfolio', '0002_dashboard_covering_indexes'), ('portfolio', '0003_dashboard_indexes_with_partner_and_unit'), ('portfolio', '0004_bilingual_content'), ('portfolio', '0005_conference_and_references_made_for_hand_typed_activities'), ('portfolio', '0006_activity_mode_historicalactivity_mode_and_more')]

    initial = True

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('common', '0001_initial'),
        ('policies', '0001_squashed_0003_goal_realises'),
        ('units', '0001_squashed_0006_sheet_mapping'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalInitiative',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('code', models.CharField(help_text='Stable reference used by spreadsheets.', max_length=40, verbose_name='code')),
                ('title', models.CharField(max_length=300, verbose_name='title (English)')),
                ('title_ja', models.CharField(blank=True, max_length=300, verbose_name='title (Japanese)')),
                ('summary', models.TextField(blank=True, verbose_name='summary (English)')),
                ('status', models.CharField(choices=[('proposed', 'Proposed'), ('planned', 'Planned'), ('active', 'Active'), ('completed', 'Completed'), ('on_hold', 'On hold'), ('cancelled', 'Cancelled')], default='proposed', max_length=20, verbose_name='status')),
                ('health', models.CharField(choices=[('on_track', 'On track'), ('at_risk', 'At risk'), ('off_track', 'Off track')], default='on_track', max_length=20, verbose_name='health')),
                ('start_date', models.DateField(blank=True, null=True, verbose_name='start date')),
                ('end_date', models.DateField(blank=True, null=True, verbose_name='end date')),
                ('budget_jpy', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='budget (yen)')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('institution', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.institution', verbose_name='institution')),
                ('lead_unit', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.unit', verbose_name='lead unit')),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.person', verbose_name='owner')),
                ('summary_ja', models.TextField(blank=True, verbose_name='summary (Japanese)')),
            ],
            options={
                'verbose_name': 'historical initiative',
                'verbose_name_plural': 'historical initiatives',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalPartnerInstitution',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('name', models.CharField(max_length=300, verbose_name='name (English)')),
                ('local_name', models.CharField(blank=True, help_text='Name in its own language.', max_length=300, verbose_name='local name')),
                ('country', django_countries.fields.CountryField(blank=True, max_length=2, verbose_name='country')),
                ('city', models.CharField(blank=True, max_length=100, verbose_name='city')),
                ('website', models.URLField(blank=True, max_length=500, verbose_name='website')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('name_ja', models.CharField(blank=True, max_length=300, verbose_name='name (Japanese)')),
            ],
            options={
                'verbose_name': 'historical partner institution',
                'verbose_name_plural': 'historical partner institutions',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Initiative',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(help_text='Stable reference used by spreadsheets.', max_length=40, verbose_name='code')),
                ('title', models.CharField(max_length=300, verbose_name='title (English)')),
                ('title_ja', models.CharField(blank=True, max_length=300, verbose_name='title (Japanese)')),
                ('summary', models.TextField(blank=True, verbose_name='summary (English)')),
                ('status', models.CharField(choices=[('proposed', 'Proposed'), ('planned', 'Planned'), ('active', 'Active'), ('completed', 'Completed'), ('on_hold', 'On hold'), ('cancelled', 'Cancelled')], default='proposed', max_length=20, verbose_name='status')),
                ('health', models.CharField(choices=[('on_track', 'On track'), ('at_risk', 'At risk'), ('off_track', 'Off track')], default='on_track', max_length=20, verbose_name='health')),
                ('start_date', models.DateField(blank=True, null=True, verbose_name='start date')),
                ('end_date', models.DateField(blank=True, null=True, verbose_name='end date')),
                ('budget_jpy', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='budget (yen)')),
                ('contributing_units', models.ManyToManyField(blank=True, related_name='contributed_initiatives', to='units.unit', verbose_name='contributing units')),
                ('goals', models.ManyToManyField(blank=True, related_name='initiatives', to='policies.goal', verbose_name='goals')),
                ('institution', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='initiatives', to='units.institution', verbose_name='institution')),
                ('lead_unit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='led_initiatives', to='units.unit', verbose_name='lead unit')),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='initiatives', to='units.person', verbose_name='owner')),
                ('summary_ja', models.TextField(blank=True, verbose_name='summary (Japanese)')),
            ],
            options={
                'ordering': ['institution__code', 'code'],
                'constraints': [models.UniqueConstraint(models.F('institution'), common.db.CodeKey('code'), name='portfolio_initiative_code_unique', violation_error_message='Another initiative of this institution has this code.'), models.CheckConstraint(condition=models.Q(('status__in', ['proposed', 'planned', 'active', 'completed', 'on_hold', 'cancelled'])), name='portfolio_initiative_status_valid', violation_error_message='Choose one of the listed values for status.'), models.CheckConstraint(condition=models.Q(('health__in', ['on_track', 'at_risk', 'off_track'])), name='portfolio_initiative_health_valid', violation_error_message='Choose one of the listed values for health.'), models.CheckConstraint(condition=models.Q(('end_date__isnull', True), ('start_date__isnull', True), ('end_date__gte', models.F('start_date')), _connector='OR'), name='portfolio_initiative_dates_in_order', violation_error_message='An initiative cannot end before it starts.')],
                'verbose_name': 'initiative',
                'verbose_name_plural': 'initiatives',
            },
        ),
        migrations.CreateModel(
            name='HistoricalProgressUpdate',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('fiscal_year', models.PositiveSmallIntegerField(verbose_name='fiscal year')),
                ('quarter', models.PositiveSmallIntegerField(choices=[(1, 'Q1'), (2, 'Q2'), (3, 'Q3'), (4, 'Q4')], verbose_name='quarter')),
                ('health', models.CharField(choices=[('on_track', 'On track'), ('at_risk', 'At risk'), ('off_track', 'Off track')], max_length=20, verbose_name='health')),
                ('narrative', models.TextField(verbose_name='narrative')),
                ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name='created at')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('author', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='author')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('initiative', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='portfolio.initiative', verbose_name='initiative')),
            ],
            options={
                'verbose_name': 'historical progress update',
                'verbose_name_plural': 'historical progress updates',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalInitiative_goals',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('goal', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='policies.goal')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='portfolio.historicalinitiative')),
                ('initiative', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='portfolio.initiative')),
            ],
            options={
                'verbose_name': 'HistoricalInitiative_goals',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalInitiative_contributing_units',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='portfolio.historicalinitiative')),
                ('unit', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.unit')),
                ('initiative', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='portfolio.initiative')),
            ],
            options={
                'verbose_name': 'HistoricalInitiative_contributing_units',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='PartnerInstitution',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=300, verbose_name='name (English)')),
                ('local_name', models.CharField(blank=True, help_text='Name in its own language.', max_length=300, verbose_name='local name')),
                ('country', django_countries.fields.CountryField(blank=True, max_length=2, verbose_name='country')),
                ('city', models.CharField(blank=True, max_length=100, verbose_name='city')),
                ('website', models.URLField(blank=True, max_length=500, verbose_name='website')),
                ('name_ja', models.CharField(blank=True, max_length=300, verbose_name='name (Japanese)')),
            ],
            options={
                'ordering': ['name'],
                'constraints': [models.UniqueConstraint(common.db.CodeKey('name'), models.F('country'), name='portfolio_partnerinstitution_name_country_unique', violation_error_message='A partner with this name in this country already exists.')],
                'verbose_name': 'partner institution',
                'verbose_name_plural': 'partner institutions',
            },
        ),
        migrations.AddField(
            model_name='initiative',
            name='partners',
            field=models.ManyToManyField(blank=True, related_name='initiatives', to='portfolio.partnerinstitution', verbose_name='partners'),
        ),
        migrations.CreateModel(
            name='HistoricalInitiative_partners',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='portfolio.historicalinitiative')),
                ('initiative', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='portfolio.initiative')),
                ('partnerinstitution', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='portfolio.partnerinstitution')),
            ],
            options={
                'verbose_name': 'HistoricalInitiative_partners',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalAgreement',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('kind', models.CharField(choices=[('academic_exchange', 'Academic exchange'), ('student_exchange', 'Student exchange'), ('mou', 'Memorandum of understanding'), ('joint_degree', 'Joint or double degree'), ('research', 'Research collaboration'), ('other', 'Other')], max_length=20, verbose_name='kind')),
                ('level', models.CharField(choices=[('university', 'University-wide'), ('department', 'Department-level')], default='university', max_length=20, verbose_name='level')),
                ('title', models.CharField(blank=True, max_length=300, verbose_name='title')),
                ('signed_on', models.DateField(blank=True, null=True, verbose_name='signed on')),
                ('expires_on', models.DateField(blank=True, null=True, verbose_name='expires on')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('unit', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.unit', verbose_name='unit')),
                ('partner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='portfolio.partnerinstitution', verbose_name='partner')),
            ],
            options={
                'verbose_name': 'historical agreement',
                'verbose_name_plural': 'historical agreements',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalActivity',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('external_ref', models.CharField(blank=True, db_index=True, default=portfolio.models.new_external_ref, help_text='Stable reference that re-imports match on. Left empty, the activity is given one.', max_length=60, verbose_name='external reference')),
                ('activity_type', models.CharField(choices=[('agreement_signed', 'Agreement signed'), ('delegation_visit', 'Delegation visit'), ('conference', 'Conference'), ('symposium', 'Symposium or workshop'), ('recruitment_fair', 'Recruitment fair'), ('student_exchange', 'Student exchange'), ('joint_research', 'Joint research project'), ('publication', 'Publication or dissemination'), ('training', 'Training'), ('crisis_drill', 'Crisis-management drill'), ('other', 'Other')], default='other', max_length=20, verbose_name='activity type')),
                ('title', models.CharField(max_length=300, verbose_name='title')),
                ('start_date', models.DateField(verbose_name='start date')),
                ('end_date', models.DateField(blank=True, null=True, verbose_name='end date')),
                ('fiscal_year', models.PositiveSmallIntegerField(db_index=True, editable=False, help_text='Japanese fiscal year of the start date.', verbose_name='fiscal year')),
                ('country', django_countries.fields.CountryField(blank=True, max_length=2, verbose_name='country')),
                ('city', models.CharField(blank=True, max_length=100, verbose_name='city')),
                ('inbound_participants', models.PositiveIntegerField(default=0, verbose_name='inbound participants')),
                ('outbound_participants', models.PositiveIntegerField(default=0, verbose_name='outbound participants')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('unit', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.unit', verbose_name='unit')),
                ('initiative', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='portfolio.initiative', verbose_name='initiative')),
                ('partner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='portfolio.partnerinstitution', verbose_name='partner')),
                ('mode', models.CharField(choices=[('in_person', 'In person'), ('online', 'Online'), ('hybrid', 'Hybrid')], default='in_person', help_text='In person, online or both; an online activity may have no country.', max_length=10, verbose_name='mode')),
            ],
            options={
                'verbose_name': 'historical activity',
                'verbose_name_plural': 'historical activities',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Agreement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('academic_exchange', 'Academic exchange'), ('student_exchange', 'Student exchange'), ('mou', 'Memorandum of understanding'), ('joint_degree', 'Joint or double degree'), ('research', 'Research collaboration'), ('other', 'Other')], max_length=20, verbose_name='kind')),
                ('level', models.CharField(choices=[('university', 'University-wide'), ('department', 'Department-level')], default='university', max_length=20, verbose_name='level')),
                ('title', models.CharField(blank=True, max_length=300, verbose_name='title')),
                ('signed_on', models.DateField(blank=True, null=True, verbose_name='signed on')),
                ('expires_on', models.DateField(blank=True, null=True, verbose_name='expires on')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='agreements', to='units.unit', verbose_name='unit')),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='agreements', to='portfolio.partnerinstitution', verbose_name='partner')),
            ],
            options={
                'ordering': ['partner__name', 'signed_on'],
                'constraints': [models.CheckConstraint(condition=models.Q(('kind__in', ['academic_exchange', 'student_exchange', 'mou', 'joint_degree', 'research', 'other'])), name='portfolio_agreement_kind_valid', violation_error_message='Choose one of the listed values for kind.'), models.CheckConstraint(condition=models.Q(('level__in', ['university', 'department'])), name='portfolio_agreement_level_valid', violation_error_message='Choose one of the listed values for level.'), models.CheckConstraint(condition=models.Q(('expires_on__isnull', True), ('signed_on__isnull', True), ('expires_on__gte', models.F('signed_on')), _connector='OR'), name='portfolio_agreement_expires_after_signed', violation_error_message='An agreement cannot expire before it is signed.')],
                'verbose_name': 'agreement',
                'verbose_name_plural': 'agreements',
            },
        ),
        migrations.CreateModel(
            name='Activity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('external_ref', models.CharField(blank=True, default=portfolio.models.new_external_ref, help_text='Stable reference that re-imports match on. Left empty, the activity is given one.', max_length=60, unique=True, verbose_name='external reference')),
                ('activity_type', models.CharField(choices=[('agreement_signed', 'Agreement signed'), ('delegation_visit', 'Delegation visit'), ('conference', 'Conference'), ('symposium', 'Symposium or workshop'), ('recruitment_fair', 'Recruitment fair'), ('student_exchange', 'Student exchange'), ('joint_research', 'Joint research project'), ('publication', 'Publication or dissemination'), ('training', 'Training'), ('crisis_drill', 'Crisis-management drill'), ('other', 'Other')], default='other', max_length=20, verbose_name='activity type')),
                ('title', models.CharField(max_length=300, verbose_name='title')),
                ('start_date', models.DateField(verbose_name='start date')),
                ('end_date', models.DateField(blank=True, null=True, verbose_name='end date')),
                ('fiscal_year', models.PositiveSmallIntegerField(db_index=True, editable=False, help_text='Japanese fiscal year of the start date.', verbose_name='fiscal year')),
                ('country', django_countries.fields.CountryField(blank=True, max_length=2, verbose_name='country')),
                ('city', models.CharField(blank=True, max_length=100, verbose_name='city')),
                ('inbound_participants', models.PositiveIntegerField(default=0, verbose_name='inbound participants')),
                ('outbound_participants', models.PositiveIntegerField(default=0, verbose_name='outbound participants')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('unit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='activities', to='units.unit', verbose_name='unit')),
                ('initiative', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='activities', to='portfolio.initiative', verbose_name='initiative')),
                ('partner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='activities', to='portfolio.partnerinstitution', verbose_name='partner')),
                ('mode', models.CharField(choices=[('in_person', 'In person'), ('online', 'Online'), ('hybrid', 'Hybrid')], default='in_person', help_text='In person, online or both; an online activity may have no country.', max_length=10, verbose_name='mode')),
            ],
            options={
                'verbose_name_plural': 'activities',
                'ordering': ['-start_date', 'external_ref'],
                'indexes': [models.Index(fields=['fiscal_year', 'activity_type'], name='portfolio_a_fiscal__03d32f_idx'), models.Index(fields=['fiscal_year', 'country', 'partner', 'inbound_participants', 'outbound_participants'], name='portfolio_act_fy_country'), models.Index(fields=['initiative', 'fiscal_year', 'partner', 'inbound_participants', 'outbound_participants'], name='portfolio_act_initiative_fy'), models.Index(fields=['unit', 'fiscal_year', 'country', 'partner', 'inbound_participants', 'outbound_participants'], name='portfolio_act_unit_fy')],
                'constraints': [models.CheckConstraint(condition=models.Q(('end_date__isnull', True), ('start_date__isnull', True), ('end_date__gte', models.F('start_date')), _connector='OR'), name='portfolio_activity_dates_in_order', violation_error_message='An activity cannot end before it starts.'), models.CheckConstraint(condition=models.Q(('initiative__isnull', False), ('unit__isnull', False), _connector='OR'), name='portfolio_activity_has_owner', violation_error_message='Give the initiative or the unit this activity belongs to.'), models.CheckConstraint(condition=models.Q(('inbound_participants__gte', 0), ('outbound_participants__gte', 0)), name='portfolio_activity_participants_not_negative', violation_error_message='Participant counts cannot be negative.'), models.CheckConstraint(condition=models.Q(('activity_type__in', ['agreement_signed', 'delegation_visit', 'conference', 'symposium', 'recruitment_fair', 'student_exchange', 'joint_research', 'publication', 'training', 'crisis_drill', 'other'])), name='portfolio_activity_type_valid', violation_error_message='Choose one of the listed values for activity type.'), models.CheckConstraint(condition=models.Q(('external_ref', ''), _negated=True), name='portfolio_activity_external_ref_not_empty', violation_error_message='An activity needs an external reference.'), models.CheckConstraint(condition=models.Q(('mode__in', ['in_person', 'online', 'hybrid'])), name='portfolio_activity_mode_valid', violation_error_message='Choose one of the listed values for mode.')],
                'verbose_name': 'activity',
            },
        ),
        migrations.CreateModel(
            name='ProgressUpdate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('fiscal_year', models.PositiveSmallIntegerField(verbose_name='fiscal year')),
                ('quarter', models.PositiveSmallIntegerField(choices=[(1, 'Q1'), (2, 'Q2'), (3, 'Q3'), (4, 'Q4')], verbose_name='quarter')),
                ('health', models.CharField(choices=[('on_track', 'On track'), ('at_risk', 'At risk'), ('off_track', 'Off track')], max_length=20, verbose_name='health')),
                ('narrative', models.TextField(verbose_name='narrative')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('author', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='progress_updates', to=settings.AUTH_USER_MODEL, verbose_name='author')),
                ('initiative', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='progress_updates', to='portfolio.initiative', verbose_name='initiative')),
            ],
            options={
                'ordering': ['initiative', '-fiscal_year', '-quarter'],
                'constraints': [models.UniqueConstraint(fields=('initiative', 'fiscal_year', 'quarter'), name='portfolio_progressupdate_one_per_quarter', violation_error_message='This initiative already has an update for that quarter.'), models.CheckConstraint(condition=models.Q(('quarter__gte', 1), ('quarter__lte', 4)), name='portfolio_progressupdate_quarter_valid', violation_error_message='A quarter is 1, 2, 3 or 4.'), models.CheckConstraint(condition=models.Q(('health__in', ['on_track', 'at_risk', 'off_track'])), name='portfolio_progressupdate_health_valid', violation_error_message='Choose one of the listed values for health.'), models.CheckConstraint(condition=models.Q(('fiscal_year__gte', 1900), ('fiscal_year__lte', 2200)), name='portfolio_progressupdate_fiscal_year_plausible', violation_error_message='Give a fiscal year between 1900 and 2200.')],
                'verbose_name': 'progress update',
                'verbose_name_plural': 'progress updates',
            },
        ),
        migrations.RunPython(create_roles, migrations.RunPython.noop),
    ]
