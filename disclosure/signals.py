"""The computed actuals follow the records they are counted from: once a transaction that wrote
an activity, an agreement, a partner, a region or a headcount commits, they are counted again
(``services.computed_refresh``), once per transaction however many records it wrote."""

import logging

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from simple_history.signals import post_create_historical_record

from common.history import history_written_in_bulk
from policies.models import Headcount
from portfolio.models import Activity, Agreement, PartnerInstitution
from units.models import Region

log = logging.getLogger(__name__)
COUNTED_FROM = (Activity, Agreement, PartnerInstitution, Region, Headcount)


def refresh_after_commit() -> None:
    from disclosure.services import computed_refresh

    try:
        computed_refresh()
    except Exception:  # a failed count must not fail the write that committed before it
        log.exception("The computed indicators could not be counted again.")


def counted_records_written() -> None:
    # Queued once per transaction: a rolled-back block's callbacks leave the list with it.
    queued = connections[DEFAULT_DB_ALIAS].run_on_commit
    if any(entry[1] is refresh_after_commit for entry in queued):
        return
    transaction.on_commit(refresh_after_commit)


def history_written(sender, history_instance, **kwargs) -> None:
    if issubclass(history_instance.instance_type, COUNTED_FROM):
        counted_records_written()


def written_in_bulk(sender, **kwargs) -> None:
    if issubclass(sender, COUNTED_FROM):
        counted_records_written()


post_create_historical_record.connect(history_written, dispatch_uid="computed_indicators")
history_written_in_bulk.connect(written_in_bulk, dispatch_uid="computed_indicators_bulk")
