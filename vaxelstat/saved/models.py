import base64
import hashlib
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vaxelstat.exports.content import ExportRequest
from vaxelstat.exports.models import Export
from vaxelstat.orgs.models import Organization
from vaxelstat.reports.period import next_sending, relative_dates

# Scheduled reports are sent at this local time of the organization.
SEND_AT = time(6, 0)


def _default_include() -> list[str]:
    return ["table", "chart", "info"]


class SavedReport(models.Model):
    """Sparad rapport: a Basrapport kept under a name (report, objects, period, time of day,
    grouping), optionally e-mailed on a schedule. Its period is fixed dates or relative to the
    day it is opened or sent; what it shows is made with its owner's permissions at that time."""

    class Period(models.TextChoices):
        FIXED = "fixed", _("Fasta datum")
        TODAY = "today", _("I dag")
        YESTERDAY = "yesterday", _("I går")
        LAST_7_DAYS = "last_7_days", _("Senaste 7 dagarna")
        THIS_WEEK = "this_week", _("Denna vecka")
        LAST_WEEK = "last_week", _("Förra veckan")
        THIS_MONTH = "this_month", _("Denna månad")
        LAST_MONTH = "last_month", _("Förra månaden")

    class Every(models.TextChoices):
        NEVER = "", _("Skickas inte")
        DAY = "day", _("Varje dag")
        WEEK = "week", _("Varje måndag")
        MONTH = "month", _("Den första i varje månad")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    name = models.CharField(_("namn"), max_length=100)
    created = models.DateTimeField(auto_now_add=True)
    report = models.CharField(max_length=40)
    object_ids = models.JSONField(default=list)
    period = models.CharField(_("period"), max_length=12, choices=Period.choices)
    first = models.DateField(_("från"), null=True, blank=True)
    last = models.DateField(_("till"), null=True, blank=True)
    window = models.CharField(_("tid på dygnet"), max_length=11, blank=True)
    group = models.CharField(max_length=10, default="day")
    # An advanced report's own columns (none: the report's own) and its rows per object.
    measures = models.JSONField(default=list, blank=True)
    by_object = models.BooleanField(default=False)
    every = models.CharField(_("skicka"), max_length=5, choices=Every.choices, blank=True)
    format = models.CharField(
        _("format"), max_length=9, choices=Export.Format.choices, default=Export.Format.XLSX
    )
    include = models.JSONField(default=_default_include)
    email_to = models.JSONField(default=list, blank=True)
    next_send = models.DateTimeField(null=True, blank=True, db_index=True)
    last_sent = models.DateTimeField(null=True, blank=True)
    last_export = models.ForeignKey(Export, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "organization", "name"], name="saved_report_name_once"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def dates(self, today: date) -> tuple[date, date]:
        """The report's first and last day when opened or sent on `today`."""
        if self.period == self.Period.FIXED and self.first and self.last:
            return self.first, self.last
        return relative_dates(self.period, today)

    def export_request(self, today: date) -> ExportRequest:
        first, last = self.dates(today)
        return ExportRequest(
            report=self.report,
            first=first.isoformat(),
            last=last.isoformat(),
            window=self.window,
            group=self.group,
            objects=list(self.object_ids),
            include=list(self.include),
            measures=list(self.measures),
            by_object=self.by_object,
            title=self.name,
        )

    @property
    def advanced(self) -> bool:
        """Whether it is an Avancerad rapport (opened on that page) rather than a Basrapport."""
        return bool(self.measures) or self.by_object

    def next_after(self, moment: datetime) -> datetime | None:
        """The first sending time after `moment`, SEND_AT local time; None when it is not
        sent."""
        if not self.every:
            return None
        return next_sending(self.every, moment, self.organization.tzinfo, SEND_AT)


class Dashboard(models.Model):
    """A dashboard of the Dashboardkatalog: a named row of saved reports, each shown by its
    Totalt, for its period worked out on the day. An organization admin may share one with
    everyone in the organization; each viewer sees it with their own permissions."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    name = models.CharField(_("namn"), max_length=100)
    shared = models.BooleanField(_("delad med alla i organisationen"), default=False)
    reports = models.ManyToManyField(SavedReport, verbose_name=_("rapporter"))
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReportQuery(models.Model):
    """A report's choices (Basrapporter's query string) under a short key: a report's page
    names them once and each figure's link to its calls carries the key, its measure and its
    bucket (a year in half hours has 50,000 links). The same choices get the same key; the
    reader's permissions are applied when the link is opened, as for any address. Kept
    QUERY_DAYS after last made (the night's work removes older ones)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    key = models.CharField(max_length=22, unique=True)
    query = models.TextField()
    made = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key

    @classmethod
    def key_of(cls, organization_id: int, query: str) -> str:
        digest = hashlib.sha256(f"{organization_id}\n{query}".encode()).digest()
        return base64.urlsafe_b64encode(digest[:12]).decode()

    @classmethod
    def keep(cls, organization: "Organization", query: str) -> str:
        """The key of these choices (made or touched now)."""
        key = cls.key_of(organization.pk, query)
        now = timezone.now()
        # Touched at most once a day: a report page shown again writes nothing (not even an
        # update of no row, which takes SQLite's write lock).
        made = ReportQuery.objects.filter(key=key).values_list("made", flat=True).first()
        if made is None:
            ReportQuery.objects.bulk_create(
                [ReportQuery(organization=organization, key=key, query=query)],
                ignore_conflicts=True,
            )
        elif made < now - timedelta(days=1):
            ReportQuery.objects.filter(key=key, made__lt=now - timedelta(days=1)).update(made=now)
        return key


# How long a report's short key lasts after the page that made it was last shown.
QUERY_DAYS = 90
