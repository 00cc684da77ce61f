from django.urls import path

from reporting.boards import views

app_name = "reporting"

urlpatterns = [
    path("", views.cycles, name="cycles"),
    path("cycles/<int:pk>/", views.cycle_board, name="cycle"),
    path(
        "cycles/<int:pk>/reports/<int:item>/remind/",
        views.remind,
        {"kind": "report"},
        name="remind_report",
    ),
    path(
        "cycles/<int:pk>/figures/<int:item>/remind/",
        views.remind,
        {"kind": "figure"},
        name="remind_figure",
    ),
    path("mine/", views.mine, name="mine"),
]
