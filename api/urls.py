"""The API under /api/: its resources, its OpenAPI 3 schema and the schema's pages."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from api import bulk, views

app_name = "api"

# No ".json" suffixes: the Accept header (or ?format=json) chooses the rendering.
router = DefaultRouter(use_regex_path=False)
router.include_format_suffixes = False
router.register("institutions", views.InstitutionViewSet, basename="institution")
router.register("regions", views.RegionViewSet, basename="region")
router.register("units", views.UnitViewSet, basename="unit")
router.register("frameworks", views.FrameworkViewSet, basename="framework")
router.register("goals", views.GoalViewSet, basename="goal")
router.register("alignments", views.AlignmentViewSet, basename="alignment")
router.register("indicators", views.IndicatorViewSet, basename="indicator")
router.register("indicator-values", views.IndicatorValueViewSet, basename="indicatorvalue")
router.register("partners", views.PartnerViewSet, basename="partner")
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("initiatives", views.InitiativeViewSet, basename="initiative")
router.register("activities", views.ActivityViewSet, basename="activity")
router.register("progress-updates", views.ProgressUpdateViewSet, basename="progressupdate")
router.register("reporting-cycles", views.ReportingCycleViewSet, basename="reportingcycle")
router.register("import-batches", bulk.ImportBatchViewSet, basename="importbatch")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's script served as a file of its own (the split view): no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
