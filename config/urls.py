from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

# Lazy: the admin reads these on every page, in the reader's language.
admin.site.site_header = _("Internationalization strategy portfolio")
admin.site.site_title = _("Strategy portfolio")
admin.site.index_title = _("Records")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    # The language switcher of every page posts here (set_language keeps the choice in a cookie).
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("portfolio.urls")),
]
