"""Signing in with a university account: SAML 2 (``saml2/``) and OpenID Connect (``oidc/``).

Each answers 404 until its settings configure it (README, "Signing in with a university
account"). The names are the ones djangosaml2 and mozilla-django-oidc reverse.
"""

from django.urls import path

from signin import oidc, saml

urlpatterns = [
    path("saml2/login/", saml.LoginView.as_view(), name="saml2_login"),
    path("saml2/acs/", saml.AssertionConsumer.as_view(), name="saml2_acs"),
    path("saml2/ls/", saml.LogoutService.as_view(), name="saml2_ls"),
    path("saml2/ls/post/", saml.LogoutService.as_view(), name="saml2_ls_post"),
    path("saml2/metadata/", saml.Metadata.as_view(), name="saml2_metadata"),
    path("oidc/authenticate/", oidc.Authenticate.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.Callback.as_view(), name="oidc_authentication_callback"),
]
