from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class SigninConfig(AppConfig):
    name = "signin"
    verbose_name = gettext_lazy("Sign-in with a university account")

    def ready(self) -> None:
        import signin.checks  # noqa: F401  (registers the settings' checks)
