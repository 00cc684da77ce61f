from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Internationalization strategy portfolio"
admin.site.site_title = "Strategy portfolio"
admin.site.index_title = "Records"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("portfolio.urls")),
]
