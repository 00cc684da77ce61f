"""The pages of signing in with a university account: the page of an account that awaits its
access, and signing out, here and at the identity provider."""

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from signin import oidc, saml


def awaits_access(user) -> bool:
    """Signed in through an identity provider, and holding no role yet: an account an
    administrator has still to grant."""
    return (
        user.is_authenticated
        and user.is_active
        and not user.is_superuser
        and not user.groups.exists()
        and user.external_identities.exists()
    )


def awaiting_access(request: HttpRequest) -> HttpResponse:
    """What a signed-in account without a role sees on any page it may not open."""
    identity = request.user.external_identities.order_by("first_signed_in").first()
    return render(request, "signin/awaiting_access.html", {"identity": identity}, status=403)


class SignOutView(auth_views.LogoutView):
    """Ends the session here, and then at the provider the session came from where it supports
    single logout (SAML) or an end-session address (OpenID Connect)."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        at_provider = oidc.sign_out_url(request)
        through_saml = saml.sign_out(request)
        if through_saml is not None:
            return through_saml
        response = super().post(request, *args, **kwargs)
        if at_provider:
            response = HttpResponseRedirect(at_provider)
        return response
