"""The reporting cycle's reminders: one digest mail per recipient, cycle, occasion and day.

- ``digests.py`` works out which occasions of an open cycle fall on a day and what each recipient
  is owed a word about, in a number of queries that does not grow with the cycle's items;
- ``services.py`` is the door of the ``Reminder`` rows: the claim taken before a mail goes, under
  the unique (recipient, cycle, occasion, day) constraint, its mark once sent, its release when
  the send failed;
- ``mail.py`` renders a digest in its recipient's language (text and HTML) and sends it;
- ``schedule.py`` puts them together for a day: ``run_checks(today)``, which the task
  ``reporting.tasks.check_cycles`` runs.
"""
