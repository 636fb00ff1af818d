import hashlib
import secrets
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, validate_unicode_slug
from django.db import models
from django.utils.translation import gettext_lazy as _

# The longest time a lost caller may take to count as reached: a week.
CALLBACK_HOURS_MOST = 168


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown time zone: {value}")


class Organization(models.Model):
    """A customer company with its switchboard."""

    slug = models.SlugField(unique=True)
    name = models.CharField("namn", max_length=200)
    timezone = models.CharField(
        "tidszon", max_length=64, default="Europe/Stockholm", validators=[validate_timezone]
    )
    # Answered within this many seconds counts towards the service level.
    service_level_seconds = models.PositiveIntegerField("servicenivåtid (s)", default=20)
    # Calls abandoned within this many seconds are left out of the service level's denominator.
    short_abandon_seconds = models.PositiveIntegerField("kort avbrott (s)", default=5)
    # The service level aimed at, in percent: the wallboard and the alerts compare with it.
    service_level_target = models.PositiveSmallIntegerField(
        "mål för servicenivå (%)",
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    # Återuppringning: a lost caller counts as reached (called back, or called again and
    # answered) within this many hours of the lost call.
    callback_hours = models.PositiveSmallIntegerField(
        "återuppringning inom (timmar)",
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(CALLBACK_HOURS_MOST)],
    )
    # The names an admin gives the pause reasons the PBX writes (PAUSE's reason field: a
    # code, say): {"1": "Lunch"}; a reason without a name is shown as the PBX wrote it.
    pause_reason_names = models.JSONField("pausorsakernas namn", default=dict, blank=True)
    # Larm: when a group's service level today falls below the target (with at least this many
    # calls), these addresses get one e-mail per group and day.
    alert_emails = models.JSONField("larm till", default=list, blank=True)
    alert_min_calls = models.PositiveIntegerField("larm från antal samtal", default=10)
    # Every user of the organization logs in with a code by e-mail as well.
    require_two_factor = models.BooleanField("kräv tvåfaktorautentisering för alla", default=False)
    # Gallring: calls that started more than this many months ago are deleted daily.
    retention_months = models.PositiveIntegerField(
        "gallring efter (månader)", null=True, blank=True
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class CollectionPoint(models.Model):
    """A data source (insamlingspunkt): where one PBX's logs arrive, and how to read them."""

    class Format(models.TextChoices):
        ASTERISK_CDR = "asterisk-cdr", "Asterisk CDR"
        ASTERISK_QUEUE_LOG = "asterisk-queue-log", "Asterisk queue_log"
        ASTERISK = "asterisk", "Asterisk (CDR + queue_log)"
        BROADWORKS = "broadworks", "BroadWorks"
        FREESWITCH_CSV = "freeswitch-csv", "FreeSWITCH CSV"
        FREESWITCH_JSON = "freeswitch-json", "FreeSWITCH JSON"
        CSV = "csv", "CSV"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="collection_points"
    )
    # It names the point's spool folder: letters, digits, - and _ only (no path).
    name = models.CharField("namn", max_length=200, validators=[validate_unicode_slug])
    format = models.CharField(max_length=32, choices=Format.choices)
    # Format settings, e.g. {"source_timezone": "Europe/Stockholm", "trunk_peers": [...]}.
    settings = models.JSONField(default=dict, blank=True)
    # SHA-256 of the token that may push files to this point over HTTP; the token itself is
    # shown once, when made.
    push_token_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = [("organization", "name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.organization.slug}/{self.name}"

    def new_push_token(self) -> str:
        """Make a new push token (the old one stops working) and return it; save to keep."""
        token = secrets.token_urlsafe(32)
        self.push_token_sha256 = hash_token(token)
        return token


# The statistics modules (Synliga moduler): one per platform, each the formats of its logs.
PLATFORMS = {
    "asterisk": (
        "Asterisk – Statistik",
        ("asterisk-cdr", "asterisk-queue-log", "asterisk"),
    ),
    "broadworks": ("BroadWorks – Statistics", ("broadworks",)),
    "freeswitch": ("FreeSWITCH – Statistik", ("freeswitch-csv", "freeswitch-json")),
    "csv": ("Övriga plattformar (CSV: Enghouse Trio, Mitel MiCC, Telepo BCS, Zylinc)", ("csv",)),
}


def platform_of(fmt: str) -> str:
    return next(key for key, (_label, formats) in PLATFORMS.items() if fmt in formats)


def formats_of(platforms: list[str]) -> list[str]:
    return [f for key in platforms if key in PLATFORMS for f in PLATFORMS[key][1]]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class MeasuredObject(models.Model):
    """A mätobjekt: a user, a group or a number whose calls are measured."""

    class Kind(models.TextChoices):
        USER = "user", _("Användare")
        ACD = "acd", _("Svarsgrupp (ACD/Telefonist)")
        HUNT = "hunt", _("Sökgrupp")
        RULE = "rule", _("Extra växelnummer (regelbaserat)")
        IVR = "ivr", _("IVR (Knappval)")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="objects_measured"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    number = models.CharField("nummer", max_length=64)
    aliases = models.JSONField("alias", default=list, blank=True)
    display_name = models.CharField("visningsnamn", max_length=200, blank=True)
    # How the source names this object, e.g. "queue:400" or "ext:1001"; stable across imports.
    source_identity = models.CharField(max_length=200)
    collection_point = models.ForeignKey(
        CollectionPoint, null=True, blank=True, on_delete=models.SET_NULL
    )
    members = models.ManyToManyField(
        "self", through="GroupMembership", symmetrical=False, related_name="groups"
    )

    class Meta:
        unique_together = [("organization", "kind", "source_identity")]
        ordering = ["kind", "number"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.display_name:
            return f"{self.display_name} ({self.number})"
        return self.number


class GroupMembership(models.Model):
    """A user's membership of an ACD or hunt group."""

    group = models.ForeignKey(MeasuredObject, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(MeasuredObject, on_delete=models.CASCADE, related_name="+")

    class Meta:
        unique_together = [("group", "member")]

    def __str__(self) -> str:
        return f"{self.member} in {self.group}"


class RetentionRun(models.Model):
    """One run of an organization's gallring: what it deleted, and why."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="retention_runs"
    )
    at = models.DateTimeField("tidpunkt", auto_now_add=True)
    # Calls that started before this instant (the organization's midnight) were deleted.
    before = models.DateTimeField("före")
    deleted = models.PositiveIntegerField("borttagna samtal")
    # Who started it: empty for the background worker's daily run.
    by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.organization} {self.at:%Y-%m-%d}: {self.deleted}"


class ServiceLevelAlert(models.Model):
    """A larm sent: a group's service level today fell below the organization's target. One per
    group and local day, so the same fall is not announced twice."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    measured_object = models.ForeignKey(MeasuredObject, on_delete=models.CASCADE)
    day = models.DateField()
    level = models.FloatField()  # percent, when it was sent
    calls = models.PositiveIntegerField()
    sent = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent"]
        constraints = [
            models.UniqueConstraint(fields=["measured_object", "day"], name="one_alert_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.measured_object} {self.day}: {self.level:.1f} %"
