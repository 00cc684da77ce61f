"""What the API says of each record: its own fields, and the records it refers to by code as
well as by id (``institution``: ``KU``; a goal's ``ref``: ``ISO-KU:CONNECT.3``)."""

from rest_framework import serializers

from policies.models import Alignment, Framework, Goal, Indicator, IndicatorValue
from portfolio.models import Activity, Agreement, Initiative, PartnerInstitution, ProgressUpdate
from reporting.models import ReportingCycle
from units.models import Institution, Region, Unit


class InstitutionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Institution
        fields = ["id", "code", "name", "name_ja", "website"]


class RegionSerializer(serializers.ModelSerializer):
    countries = serializers.SerializerMethodField()

    class Meta:
        model = Region
        fields = ["id", "code", "name", "name_ja", "countries", "order", "note"]

    def get_countries(self, region: Region) -> list[str]:
        """ISO 3166 alpha-2 codes."""
        return [country.code for country in region.countries]


class UnitSerializer(serializers.ModelSerializer):
    institution = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    host_country = serializers.CharField(source="host_country.code", read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "institution",
            "code",
            "name",
            "name_ja",
            "kind",
            "parent",
            "region",
            "host_city",
            "host_country",
            "location",
            "active_from",
            "active_until",
            "description",
            "description_ja",
        ]


class FrameworkSerializer(serializers.ModelSerializer):
    institution = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Framework
        fields = [
            "id",
            "institution",
            "code",
            "title",
            "title_ja",
            "adopted_on",
            "revised_on",
            "source",
            "source_url",
        ]


class GoalSerializer(serializers.ModelSerializer):
    ref = serializers.SerializerMethodField()
    framework = serializers.SlugRelatedField(slug_field="code", read_only=True)
    units = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    realises = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Goal
        fields = [
            "id",
            "ref",
            "framework",
            "parent",
            "code",
            "kind",
            "title",
            "title_ja",
            "description",
            "description_ja",
            "order",
            "units",
            "realises",
        ]

    def get_ref(self, goal: Goal) -> str:
        """The goal's code within its framework's: ``ISO-KU:CONNECT.3``."""
        return f"{goal.framework.code}:{goal.code}"


class PartnerSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code", read_only=True)

    class Meta:
        model = PartnerInstitution
        fields = ["id", "name", "name_ja", "local_name", "country", "city", "website"]


class AgreementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agreement
        fields = [
            "id",
            "partner",
            "unit",
            "kind",
            "level",
            "title",
            "signed_on",
            "expires_on",
            "note",
        ]


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = [
            "id",
            "goal",
            "code",
            "name",
            "name_ja",
            "unit_of_measure",
            "higher_is_better",
            "baseline",
            "baseline_year",
            "description",
            "description_ja",
        ]


class IndicatorValueSerializer(serializers.ModelSerializer):
    class Meta:
        model = IndicatorValue
        fields = ["id", "indicator", "fiscal_year", "target", "actual", "note"]


class InitiativeSerializer(serializers.ModelSerializer):
    institution = serializers.SlugRelatedField(slug_field="code", read_only=True)
    goals = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    contributing_units = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    partners = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Initiative
        fields = [
            "id",
            "institution",
            "code",
            "title",
            "title_ja",
            "summary",
            "summary_ja",
            "lead_unit",
            "contributing_units",
            "goals",
            "partners",
            "status",
            "health",
            "start_date",
            "end_date",
            "budget_jpy",
        ]


class ActivitySerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code", read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "external_ref",
            "initiative",
            "unit",
            "activity_type",
            "mode",
            "title",
            "start_date",
            "end_date",
            "fiscal_year",
            "country",
            "city",
            "partner",
            "inbound_participants",
            "outbound_participants",
            "description",
        ]


class ProgressUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgressUpdate
        fields = [
            "id",
            "initiative",
            "fiscal_year",
            "quarter",
            "health",
            "narrative",
            "narrative_ja",
            "created_at",
        ]


class ReportingCycleSerializer(serializers.ModelSerializer):
    institution = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ReportingCycle
        fields = [
            "id",
            "institution",
            "fiscal_year",
            "period",
            "due_date",
            "opened_at",
            "closed_at",
        ]


class HistoryEntrySerializer(serializers.Serializer):
    """One version of a record, as its history keeps it."""

    version = serializers.IntegerField(help_text="What If-Match names: the ETag's number.")
    date = serializers.DateTimeField()
    type = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    user = serializers.CharField(
        allow_null=True, help_text="Its author's user name (of another institution: not named)."
    )
    reason = serializers.CharField()
    changes = serializers.DictField(
        help_text="Each field this version changed: its value before and after.",
        child=serializers.DictField(),
    )


class AlignmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alignment
        fields = ["id", "source", "target", "note"]
