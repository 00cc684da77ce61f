from django.urls import path

from portfolio import views

app_name = "dashboards"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("frameworks/<int:pk>/", views.framework_detail, name="framework"),
    path("goals/<int:pk>/", views.goal_detail, name="goal"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("crosswalk/", views.crosswalk, name="crosswalk"),
    path("regions/", views.regions, name="regions"),
]
