from django.urls import path

from reporting.boards import views

app_name = "reporting"

urlpatterns = [
    path("", views.cycles, name="cycles"),
    path("cycles/<int:pk>/", views.cycle_board, name="cycle"),
    path("mine/", views.mine, name="mine"),
]
