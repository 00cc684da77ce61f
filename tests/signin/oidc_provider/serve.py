"""Runs the test OpenID Connect provider: ``python -m tests.signin.oidc_provider.serve PORT``.

Migrates its database, makes the one client application the environment names
(``OIDC_PROVIDER_CLIENT_ID``, ``OIDC_PROVIDER_CLIENT_SECRET``, ``OIDC_PROVIDER_REDIRECT_URI``,
``OIDC_PROVIDER_POST_LOGOUT_REDIRECT_URI``), then serves on 127.0.0.1:PORT with Django's threaded
development server until it is terminated or the process that started it ends.
"""

import os
import sys
import threading
import time


def _exit_with_parent() -> None:
    """Ends this process once the one that started it is gone, however that one ended."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _make_application() -> None:
    from oauth2_provider.models import get_application_model

    application = get_application_model()
    client_id = os.environ["OIDC_PROVIDER_CLIENT_ID"]
    if application.objects.filter(client_id=client_id).exists():
        return
    application.objects.create(
        name="Relying party under test",
        client_id=client_id,
        client_secret=os.environ["OIDC_PROVIDER_CLIENT_SECRET"],
        client_type=application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=application.GRANT_AUTHORIZATION_CODE,
        algorithm=application.RS256_ALGORITHM,
        skip_authorization=True,
        redirect_uris=os.environ["OIDC_PROVIDER_REDIRECT_URI"],
        post_logout_redirect_uris=os.environ["OIDC_PROVIDER_POST_LOGOUT_REDIRECT_URI"],
    )


def main(argv: list[str]) -> None:
    port = int(argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.signin.oidc_provider.settings")
    _exit_with_parent()

    import django

    django.setup()

    from django.core.management import call_command
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", interactive=False, verbosity=0)
    _make_application()
    run("127.0.0.1", port, get_wsgi_application(), threading=True)


if __name__ == "__main__":
    main(sys.argv)
