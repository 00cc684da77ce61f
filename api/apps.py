from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from api import (
            roles,  # noqa: F401 (what each role may do with tokens)
            schema,  # noqa: F401 (registers the token's security scheme)
            webhooks,  # noqa: F401 (sends the changes its subscriptions follow)
        )
