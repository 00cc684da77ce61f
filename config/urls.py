"""The product's URLs: the admin, signing in and out, the language switcher, the icon, the
dashboards, the reporting cycle's boards, the REST API and the disclosure pages (public pages,
benchmarks, the annual report).

Password reset sends a link by email, so it is there only where email is configured
(``EMAIL_HOST``): elsewhere its pages are not found and the sign-in page offers no link. Where it
is on, the request only checks the form and answers; finding the account, making the link and
sending the mail happen after the response, in the mail worker, so that an address with an
account and one without get the same page after the same work, and the time of the answer says
nothing about which it was.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views import defaults

from common.admin import guard_changelists
from signin.oidc import oidc_on
from signin.saml import saml_on
from signin.views import SignOutView, awaiting_access, awaits_access

logger = logging.getLogger(__name__)

# Lazy: the admin reads these on every page, in the reader's language.
admin.site.site_header = _("Internationalization strategy portfolio")
admin.site.site_title = _("Strategy portfolio")
admin.site.index_title = _("Records")
# Every app's admin has registered its models by now (the admin app discovers them at start-up):
# no list of the site fails on a hostile query string, its own admins' or Django's and axes'.
guard_changelists(admin.site)

# One thread per server process sends the reset mails, one after another, after the responses.
MAILER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-reset-mail")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on their own; the icon is a static file, under its current
    (in production hashed) name, so the redirect is a temporary one."""
    return HttpResponseRedirect(static("portfolio/favicon.svg"))


def password_reset_on() -> bool:
    return bool(settings.EMAIL_HOST)


def when_email_is_configured(view):
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not password_reset_on():
            raise Http404
        return view(request, *args, **kwargs)

    return guarded


def send_reset_mail(form: PasswordResetForm, options: dict, language: str) -> None:
    """Django's own sending: the account of the address, if any, its link, and the mail."""
    try:
        with translation.override(language):
            form.save(**options)
    except Exception:
        logger.exception("The password reset mail could not be sent.")
    finally:
        connections.close_all()  # the worker's own connection, not a request's


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        # What Django's view passes to form.save(), read from the request now, as the request
        # will be gone when the mail is sent.
        options = {
            "domain_override": self.request.get_host(),
            "use_https": self.request.is_secure(),
            "token_generator": self.token_generator,
            "from_email": self.from_email,
            "email_template_name": self.email_template_name,
            "subject_template_name": self.subject_template_name,
            "html_email_template_name": self.html_email_template_name,
            "extra_email_context": self.extra_email_context,
        }
        MAILER.submit(send_reset_mail, form, options, translation.get_language())
        return HttpResponseRedirect(self.get_success_url())


class LoginView(auth_views.LoginView):
    def get_context_data(self, **kwargs) -> dict:
        return {
            **super().get_context_data(**kwargs),
            "password_reset": password_reset_on(),
            # The ways in through a university account, where their settings configure them.
            "saml_sign_in": saml_on() and (settings.SAML_SIGN_IN_LABEL or _("University account")),
            "oidc_sign_in": oidc_on() and (settings.OIDC_SIGN_IN_LABEL or _("OpenID Connect")),
        }


def forbidden(request: HttpRequest, exception: Exception) -> HttpResponse:
    """An account that signed in through its provider and holds no role yet learns that an
    administrator must grant one; any other refusal is Django's page (templates/403.html)."""
    if awaits_access(request.user):
        return awaiting_access(request)
    return defaults.permission_denied(request, exception)


handler403 = forbidden


accounts = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", SignOutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password_reset/",
        when_email_is_configured(PasswordResetView.as_view()),
        name="password_reset",
    ),
    path(
        "password_reset/done/",
        when_email_is_configured(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        when_email_is_configured(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        when_email_is_configured(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include(accounts)),
    # The language switcher of every page posts here (set_language keeps the choice in a cookie).
    path("i18n/", include("django.conf.urls.i18n")),
    path("favicon.ico", favicon, name="favicon"),
    # The reporting cycle's boards: the office's, an owner's (reporting/boards/).
    path("reporting/", include("reporting.boards.urls")),
    # The REST API for other systems, with its schema (api/).
    path("api/", include("api.urls")),
    # Signing in with a university account: SAML 2 and OpenID Connect (signin/).
    path("", include("signin.urls")),
    # What institutions disclose: public pages, benchmarks, the annual report (disclosure/).
    path("", include("disclosure.urls")),
    path("", include("portfolio.dashboards.urls")),
]
