"""Scheduled saved reports: the server's worker queues an e-mailed export of each one that is
due; the export worker (vaxelstat.exports.tasks) makes and sends it."""

import logging
from datetime import datetime

from django.utils import timezone

from vaxelstat.exports.models import Export
from vaxelstat.reports.period import local_today
from vaxelstat.saved.models import SavedReport

log = logging.getLogger(__name__)


def send_due(now: datetime | None = None) -> int:
    """Queue an export of every saved report due by `now`; return how many were queued. A
    report missed while the server was down is sent once, and then on its schedule."""
    now = now or timezone.now()
    queued = 0
    due = SavedReport.objects.select_related("owner", "organization").filter(next_send__lte=now)
    for saved in due:
        # Claimed by moving its time on: two workers never send it twice.
        claimed = SavedReport.objects.filter(pk=saved.pk, next_send=saved.next_send).update(
            next_send=saved.next_after(now), last_sent=now
        )
        if not claimed:
            continue
        owner = saved.owner
        if not (owner.is_active and owner.may_open("reports") and saved.email_to):
            log.info("saved report %s not sent: its owner may not, or no address", saved.pk)
            continue
        today = local_today(saved.organization.tzinfo, now)
        export = Export.objects.create(
            owner=owner,
            organization=saved.organization,
            format=saved.format,
            request=saved.export_request(today).as_json(),
            email_to=saved.email_to,
        )
        SavedReport.objects.filter(pk=saved.pk).update(last_export=export)
        queued += 1
    return queued
