"""The reminders' fixtures, for every test of the reporting cycle: a real SMTP server on loopback
(``smtp``) and a cycle with owners in two languages (``cycle``), defined in ``test_reminders``."""

from tests.reporting.test_reminders import cycle, smtp  # noqa: F401 (fixtures, shared)
