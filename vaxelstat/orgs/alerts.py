"""Larm: when an answering group's service level today falls below its organization's target
(after at least alert_min_calls calls), the organization's larm addresses get one e-mail per
group and day. The server's worker looks every few minutes, after what the imports brought."""

import logging
from datetime import datetime

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from vaxelstat.calls.scope import Scope
from vaxelstat.orgs.models import MeasuredObject, Organization, ServiceLevelAlert
from vaxelstat.reports.period import local_today
from vaxelstat.reports.today import GroupToday, groups_today

log = logging.getLogger(__name__)


def _percent(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _message(org: Organization, found: GroupToday, address: str) -> EmailMessage:
    group = found.group
    name = f"{group.display_name} ({group.number})" if group.display_name else group.number
    # Names come from the PBX's logs: one line, as a mail header must be.
    name = " ".join(name.split())
    level = _percent(found.figures["service_level"])
    subject = f"Växelstatistik: servicenivån för {name} är {level} % i dag"
    body = (
        f"Hej!\n\nServicenivån för svarsgruppen {name} hos {org.name} är i dag {level} % "
        f"efter {found.figures['incoming']} samtal. Målet är {org.service_level_target} % "
        f"besvarade inom {org.service_level_seconds} sekunder.\n\n"
        f"Besvarade: {found.figures['answered']}, ej besvarade: {found.figures['unanswered']}.\n\n"
        "Larmet skickas en gång per svarsgrupp och dag. Adresserna ändras under "
        "Administration → Servicenivå och larm.\n"
    )
    return EmailMessage(subject, body, None, [address])


def send_alerts(now: datetime | None = None) -> int:
    """Send the larm that are due; return how many groups were announced."""
    now = now or timezone.now()
    announced = 0
    for org in Organization.objects.all():
        if not org.alert_emails:
            continue
        today = local_today(org.tzinfo, now)
        done = set(
            ServiceLevelAlert.objects.filter(organization=org, day=today).values_list(
                "measured_object_id", flat=True
            )
        )
        groups = [
            g
            for g in MeasuredObject.objects.filter(organization=org, kind="acd")
            if g.id not in done
        ]
        for found in groups_today(org, groups, Scope.whole(org.id), now):
            if not found.below_target or found.figures["incoming"] < org.alert_min_calls:
                continue
            try:
                # The row claims the larm (two workers never send it twice); a send that fails
                # takes the row back with it, so the next round tries again.
                with transaction.atomic():
                    ServiceLevelAlert.objects.create(
                        organization=org,
                        measured_object=found.group,
                        day=today,
                        level=found.figures["service_level"],
                        calls=found.figures["incoming"],
                    )
                    for address in org.alert_emails:
                        _message(org, found, address).send()
            except IntegrityError:
                continue
            log.info("larm: %s %s below target", org.slug, found.group.number)
            announced += 1
    return announced
