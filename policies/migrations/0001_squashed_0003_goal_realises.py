"""Policies' migrations 0001 to 0003 in one: the models as they stand after them.

Squashed because 0002_bilingual_content was some 550 lines of AlterField that only changed
verbose names and help texts; here those labels (and 0002's four new fields) are part of each
CreateModel. ``replaces`` lets a database that applied the three old migrations count as up to
date; their files are gone, and a dependency that still names one of them means this migration.
"""

import common.db
import django.db.models.deletion
import django.db.models.functions.comparison
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('policies', '0001_initial'), ('policies', '0002_bilingual_content'), ('policies', '0003_goal_realises')]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('units', '0001_squashed_0006_sheet_mapping'),
    ]

    operations = [
        migrations.CreateModel(
            name='Framework',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(help_text='Short code used in spreadsheets, e.g. ISO-KU.', max_length=30, verbose_name='code')),
                ('title', models.CharField(max_length=300, verbose_name='title (English)')),
                ('title_ja', models.CharField(blank=True, max_length=300, verbose_name='title (Japanese)')),
                ('adopted_on', models.DateField(blank=True, null=True, verbose_name='adopted on')),
                ('revised_on', models.DateField(blank=True, null=True, verbose_name='revised on')),
                ('source', models.CharField(help_text='The document this framework encodes.', max_length=500, verbose_name='source')),
                ('source_url', models.URLField(blank=True, verbose_name='source url')),
                ('source_note', models.TextField(blank=True, verbose_name='source note')),
                ('institution', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='frameworks', to='units.institution', verbose_name='institution')),
            ],
            options={
                'ordering': ['institution__code', 'code'],
                'constraints': [models.UniqueConstraint(models.F('institution'), common.db.CodeKey('code'), name='policies_framework_code_unique', violation_error_message='Another framework of this institution has this code.'), models.CheckConstraint(condition=models.Q(('revised_on__isnull', True), ('adopted_on__isnull', True), ('revised_on__gte', models.F('adopted_on')), _connector='OR'), name='policies_framework_revised_after_adopted', violation_error_message='A framework cannot be revised before it was adopted.')],
                'verbose_name': 'framework',
                'verbose_name_plural': 'frameworks',
            },
        ),
        migrations.CreateModel(
            name='Goal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(help_text='Stable code, e.g. CONNECT or 1.3.', max_length=30, verbose_name='code')),
                ('kind', models.CharField(choices=[('mission', 'Mission'), ('basic_policy', 'Basic policy'), ('sector', 'Sector'), ('direction', 'Direction'), ('objective', 'Objective')], max_length=20, verbose_name='kind')),
                ('title', models.CharField(max_length=500, verbose_name='title (English)')),
                ('title_ja', models.CharField(blank=True, max_length=500, verbose_name='title (Japanese)')),
                ('description', models.TextField(blank=True, verbose_name='description (English)')),
                ('source_note', models.TextField(blank=True, help_text="How this record relates to the source's wording.", verbose_name='source note')),
                ('order', models.PositiveSmallIntegerField(default=0, verbose_name='order')),
                ('framework', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='goals', to='policies.framework', verbose_name='framework')),
                ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='policies.goal', verbose_name='parent')),
                ('units', models.ManyToManyField(blank=True, help_text='The units that pursue this goal.', related_name='goals', to='units.unit', verbose_name='pursued by')),
                ('description_ja', models.TextField(blank=True, verbose_name='description (Japanese)')),
                ('realises', models.ManyToManyField(blank=True, help_text="Goals of the same framework that this goal is a way of realising: TMU's three sectors realise its basic policies. A realised goal's figures include this one's.", related_name='realised_by', to='policies.goal', verbose_name='realises')),
            ],
            options={
                'ordering': ['framework', 'order', 'code'],
                'constraints': [models.UniqueConstraint(models.F('framework'), common.db.CodeKey('code'), name='policies_goal_code_unique', violation_error_message='Another goal of this framework already has this code.'), models.CheckConstraint(condition=models.Q(('kind__in', ['mission', 'basic_policy', 'sector', 'direction', 'objective'])), name='policies_goal_kind_valid', violation_error_message='Choose one of the listed values for kind.'), models.CheckConstraint(condition=models.Q(('parent', models.F('pk')), _negated=True), name='policies_goal_not_own_parent', violation_error_message='A goal cannot be its own parent.')],
                'verbose_name': 'goal',
                'verbose_name_plural': 'goals',
            },
        ),
        migrations.CreateModel(
            name='Alignment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('note', models.TextField(blank=True, help_text='Why these goals are on common ground.', verbose_name='note')),
                ('source', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alignments_out', to='policies.goal', verbose_name='source')),
                ('target', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alignments_in', to='policies.goal', verbose_name='target')),
            ],
            options={
                'ordering': ['source', 'target'],
                'constraints': [models.CheckConstraint(condition=models.Q(('source', models.F('target')), _negated=True), name='policies_alignment_not_to_itself', violation_error_message='A goal cannot be aligned with itself.'), models.UniqueConstraint(django.db.models.functions.comparison.Least('source', 'target'), django.db.models.functions.comparison.Greatest('source', 'target'), name='policies_alignment_pair_unique', violation_error_message='These two goals are already aligned.')],
                'verbose_name': 'alignment',
                'verbose_name_plural': 'alignments',
            },
        ),
        migrations.CreateModel(
            name='HistoricalAlignment',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('note', models.TextField(blank=True, help_text='Why these goals are on common ground.', verbose_name='note')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('source', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='policies.goal', verbose_name='source')),
                ('target', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='policies.goal', verbose_name='target')),
            ],
            options={
                'verbose_name': 'historical alignment',
                'verbose_name_plural': 'historical alignments',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalFramework',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('code', models.CharField(help_text='Short code used in spreadsheets, e.g. ISO-KU.', max_length=30, verbose_name='code')),
                ('title', models.CharField(max_length=300, verbose_name='title (English)')),
                ('title_ja', models.CharField(blank=True, max_length=300, verbose_name='title (Japanese)')),
                ('adopted_on', models.DateField(blank=True, null=True, verbose_name='adopted on')),
                ('revised_on', models.DateField(blank=True, null=True, verbose_name='revised on')),
                ('source', models.CharField(help_text='The document this framework encodes.', max_length=500, verbose_name='source')),
                ('source_url', models.URLField(blank=True, verbose_name='source url')),
                ('source_note', models.TextField(blank=True, verbose_name='source note')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('institution', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.institution', verbose_name='institution')),
            ],
            options={
                'verbose_name': 'historical framework',
                'verbose_name_plural': 'historical frameworks',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalGoal',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('code', models.CharField(help_text='Stable code, e.g. CONNECT or 1.3.', max_length=30, verbose_name='code')),
                ('kind', models.CharField(choices=[('mission', 'Mission'), ('basic_policy', 'Basic policy'), ('sector', 'Sector'), ('direction', 'Direction'), ('objective', 'Objective')], max_length=20, verbose_name='kind')),
                ('title', models.CharField(max_length=500, verbose_name='title (English)')),
                ('title_ja', models.CharField(blank=True, max_length=500, verbose_name='title (Japanese)')),
                ('description', models.TextField(blank=True, verbose_name='description (English)')),
                ('source_note', models.TextField(blank=True, help_text="How this record relates to the source's wording.", verbose_name='source note')),
                ('order', models.PositiveSmallIntegerField(default=0, verbose_name='order')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('framework', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='policies.framework', verbose_name='framework')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('parent', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='policies.goal', verbose_name='parent')),
                ('description_ja', models.TextField(blank=True, verbose_name='description (Japanese)')),
            ],
            options={
                'verbose_name': 'historical goal',
                'verbose_name_plural': 'historical goals',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalGoal_units',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('goal', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='policies.goal')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='policies.historicalgoal')),
                ('unit', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='units.unit')),
            ],
            options={
                'verbose_name': 'HistoricalGoal_units',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalIndicator',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('code', models.CharField(max_length=30, verbose_name='code')),
                ('name', models.CharField(max_length=300, verbose_name='name (English)')),
                ('name_ja', models.CharField(blank=True, max_length=300, verbose_name='name (Japanese)')),
                ('unit_of_measure', models.CharField(help_text='e.g. students, agreements, %.', max_length=50, verbose_name='unit of measure')),
                ('higher_is_better', models.BooleanField(default=True, verbose_name='higher is better')),
                ('baseline', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='baseline')),
                ('baseline_year', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='baseline fiscal year')),
                ('description', models.TextField(blank=True, verbose_name='description (English)')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('goal', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='policies.goal', verbose_name='goal')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('description_ja', models.TextField(blank=True, verbose_name='description (Japanese)')),
            ],
            options={
                'verbose_name': 'historical indicator',
                'verbose_name_plural': 'historical indicators',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Indicator',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=30, verbose_name='code')),
                ('name', models.CharField(max_length=300, verbose_name='name (English)')),
                ('name_ja', models.CharField(blank=True, max_length=300, verbose_name='name (Japanese)')),
                ('unit_of_measure', models.CharField(help_text='e.g. students, agreements, %.', max_length=50, verbose_name='unit of measure')),
                ('higher_is_better', models.BooleanField(default=True, verbose_name='higher is better')),
                ('baseline', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='baseline')),
                ('baseline_year', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='baseline fiscal year')),
                ('description', models.TextField(blank=True, verbose_name='description (English)')),
                ('goal', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='indicators', to='policies.goal', verbose_name='goal')),
                ('description_ja', models.TextField(blank=True, verbose_name='description (Japanese)')),
            ],
            options={
                'ordering': ['goal', 'code'],
                'constraints': [models.UniqueConstraint(models.F('goal'), common.db.CodeKey('code'), name='policies_indicator_code_unique', violation_error_message='Another indicator of this goal already has this code.')],
                'verbose_name': 'indicator',
                'verbose_name_plural': 'indicators',
            },
        ),
        migrations.CreateModel(
            name='HistoricalIndicatorValue',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('fiscal_year', models.PositiveSmallIntegerField(verbose_name='fiscal year')),
                ('target', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='target')),
                ('actual', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='actual')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('indicator', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='policies.indicator', verbose_name='indicator')),
            ],
            options={
                'verbose_name': 'historical indicator value',
                'verbose_name_plural': 'historical indicator values',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='IndicatorValue',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('fiscal_year', models.PositiveSmallIntegerField(verbose_name='fiscal year')),
                ('target', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='target')),
                ('actual', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='actual')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('indicator', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='values', to='policies.indicator', verbose_name='indicator')),
            ],
            options={
                'ordering': ['indicator', 'fiscal_year'],
                'constraints': [models.UniqueConstraint(fields=('indicator', 'fiscal_year'), name='policies_indicatorvalue_one_per_year', violation_error_message='This indicator already has figures for that fiscal year.'), models.CheckConstraint(condition=models.Q(('fiscal_year__gte', 1900), ('fiscal_year__lte', 2200)), name='policies_indicatorvalue_fiscal_year_plausible', violation_error_message='Give a fiscal year between 1900 and 2200.')],
                'verbose_name': 'indicator value',
                'verbose_name_plural': 'indicator values',
            },
        ),
        migrations.CreateModel(
            name='HistoricalGoal_realises',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('from_goal', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='policies.goal')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='policies.historicalgoal')),
                ('to_goal', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='policies.goal')),
            ],
            options={
                'verbose_name': 'HistoricalGoal_realises',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
    ]
