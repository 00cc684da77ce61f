"""What the browser tests do alike: sign a user in through the login form."""


def log_in(page, url: str, username: str, password: str = "pass-for-tests") -> None:
    """Open ``url`` (which sends a signed-out reader to the login form) and sign in there."""
    page.goto(url)
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form input[type=submit], form button[type=submit]").last.click()
