"""What a sign-in brings with it from the user's scope."""

from django.utils import translation

from common.middleware import remember_language


def use_preferred_language(sender, request, user, **kwargs) -> None:
    """A user's preferred language (``UserScope.language``) becomes the interface's at sign-in,
    whatever the browser asked for; a user without one keeps the browser's or their choice."""
    from units.models import UserScope

    language = UserScope.objects.filter(user=user).values_list("language", flat=True).first() or ""
    if language:
        remember_language(request, language)
        translation.activate(language)
