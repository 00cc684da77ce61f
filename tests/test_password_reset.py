"""Password reset: off without email, and, with it, the same answer for any address.

Without ``EMAIL_HOST`` no mail could reach anyone, so the reset pages are not found and the
sign-in page offers no link. With it, an address with an account and one without are answered
with the same page after the same work in the request (the same queries, no mail sent): the
account is looked up and the mail sent by the mail worker after the response.
"""

import re
import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.urls import MAILER
from tests.factories import UserFactory

RESET_PAGES = [
    reverse("password_reset"),
    reverse("password_reset_done"),
    reverse("password_reset_confirm", args=["MQ", "set-password"]),
    reverse("password_reset_complete"),
]


@pytest.fixture
def email_off(settings):
    settings.EMAIL_HOST = ""


@pytest.fixture
def email_on(settings):
    settings.EMAIL_HOST = "smtp.example.ac.jp"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def mails_sent() -> list:
    """The mails sent once the mail worker has sent all it was given."""
    MAILER.submit(lambda: None).result(timeout=30)
    return mail.outbox


@pytest.mark.django_db
@pytest.mark.parametrize("url", RESET_PAGES)
def test_without_email_the_reset_pages_are_not_found(client, email_off, url):
    assert client.get(url).status_code == 404
    assert client.post(url, {"email": "someone@example.ac.jp"}).status_code == 404
    assert mails_sent() == []


@pytest.mark.django_db
def test_without_email_the_login_page_offers_no_reset(client, email_off):
    page = client.get(reverse("login")).content.decode()
    assert "password_reset" not in page and "Forgotten your password" not in page


@pytest.mark.django_db
def test_with_email_the_login_page_links_to_the_reset(client, email_on):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in page
    assert client.get(reverse("password_reset")).status_code == 200


def ask_for_reset(email: str) -> tuple[object, int]:
    """The answer to a reset request for ``email``, and the queries the request made."""
    client = Client()
    client.get(reverse("password_reset"))  # the form, and its CSRF cookie
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("password_reset"), {"email": email}, follow=True)
    return response, len(queries)


# The mail worker reads the account in its own connection: the test's rows must be committed.
@pytest.mark.django_db(transaction=True)
def test_a_known_and_an_unknown_address_get_the_same_page_after_the_same_work(email_on):
    UserFactory(username="aiko", email="aiko@example.ac.jp")
    held = threading.Event()
    MAILER.submit(held.wait, 30)  # the worker waits: nothing is sent while the requests run
    try:
        known, known_queries = ask_for_reset("aiko@example.ac.jp")
        unknown, unknown_queries = ask_for_reset("nobody@example.ac.jp")
        assert mail.outbox == []  # the requests sent nothing themselves
    finally:
        held.set()

    assert known.redirect_chain == unknown.redirect_chain == [(reverse("password_reset_done"), 302)]
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", known.content.decode()) == strip.sub("", unknown.content.decode())
    assert known_queries == unknown_queries

    sent = mails_sent()
    assert [message.to for message in sent] == [["aiko@example.ac.jp"]]
    assert "aiko" in sent[0].body and "/accounts/reset/" in sent[0].body


@pytest.mark.django_db(transaction=True)
def test_the_mailed_link_sets_a_new_password(email_on):
    user = UserFactory(username="aiko", email="aiko@example.ac.jp")
    ask_for_reset("aiko@example.ac.jp")
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mails_sent()[0].body).group(1)
    client = Client()
    form = client.get(link, follow=True)
    assert form.status_code == 200
    new = "a-long-new-passphrase-2025"
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True
    )
    assert done.redirect_chain[-1][0] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(new)


@pytest.mark.django_db(transaction=True)
def test_a_mail_that_cannot_be_sent_is_logged_and_the_reader_told_the_same(
    email_on, settings, caplog
):
    settings.EMAIL_BACKEND = "tests.test_password_reset.RefusingBackend"
    UserFactory(username="aiko", email="aiko@example.ac.jp")
    response, _queries = ask_for_reset("aiko@example.ac.jp")
    assert response.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert mails_sent() == []
    assert "password reset" in caplog.text.lower()


class RefusingBackend:
    """An SMTP server that is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")
