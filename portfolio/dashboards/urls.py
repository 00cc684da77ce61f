from django.urls import path

from portfolio.dashboards import views
from portfolio.dashboards.cache import cached_dashboard

app_name = "dashboards"

# Each page is served from the cache until the records change (portfolio.dashboards.cache).
urlpatterns = [
    path("", cached_dashboard(views.overview), name="overview"),
    path("frameworks/<int:pk>/", cached_dashboard(views.framework_detail), name="framework"),
    path("goals/<int:pk>/", cached_dashboard(views.goal_detail), name="goal"),
    path("units/<int:pk>/", cached_dashboard(views.unit_detail), name="unit"),
    path("initiatives/<int:pk>/", cached_dashboard(views.initiative_detail), name="initiative"),
    path("crosswalk/", cached_dashboard(views.crosswalk), name="crosswalk"),
    path("regions/", cached_dashboard(views.regions), name="regions"),
]
