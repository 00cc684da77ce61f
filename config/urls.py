from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from common.admin import guard_changelists

# Lazy: the admin reads these on every page, in the reader's language.
admin.site.site_header = _("Internationalization strategy portfolio")
admin.site.site_title = _("Strategy portfolio")
admin.site.index_title = _("Records")
# Every app's admin has registered its models by now (the admin app discovers them at start-up):
# no list of the site fails on a hostile query string, its own admins' or Django's and axes'.
guard_changelists(admin.site)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    # The language switcher of every page posts here (set_language keeps the choice in a cookie).
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("portfolio.urls")),
]
