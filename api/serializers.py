"""What the API says of each record: its own fields, and the records it refers to by code as
well as by id (``institution``: ``KU``; a goal's ``ref``: ``ISO-KU:CONNECT.3``)."""

from rest_framework import serializers

from policies.models import Framework, Goal
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
