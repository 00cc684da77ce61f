"""An OpenID Connect provider for the sign-in tests: django-oauth-toolkit's, in a Django project
of its own that ``tests.signin.oidc.OIDCProvider`` runs as a second process on loopback.

Nothing of the product is imported here; the provider knows only its own settings module.
"""
