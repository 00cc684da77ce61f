"""URLs of the test OpenID Connect provider: DOT under ``o/``, its sign-in page, its controls."""

from django.contrib.auth.views import LoginView
from django.urls import include, path

from tests.signin.oidc_provider import control

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("test-control/mode", control.mode),
    path("test-control/users", control.users),
    path("test-control/sign-outs", control.sign_outs),
]
