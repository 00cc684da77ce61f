from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Internationalization strategy portfolio"
admin.site.site_title = "Strategy portfolio"
admin.site.index_title = "Records"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False), name="home"),
]
