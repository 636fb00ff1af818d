from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Finished files are kept this long, then deleted.
KEEP_FOR = timedelta(days=7)


def _expires() -> object:
    return timezone.now() + KEEP_FOR


class Export(models.Model):
    """One export asked for on the page or the command line: a background task with its
    progress, and the file it made (fetched by its owner only, or e-mailed)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("I kö")
        RUNNING = "running", _("Pågår")
        DONE = "done", _("Klar")
        FAILED = "failed", _("Misslyckades")

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel (.xlsx)"
        CSV = "csv", _("CSV för program")
        # Semicolons, decimal commas, UTF-8 with a BOM, Swedish headings (the plain CSV is
        # for programs: keys, points, seconds).
        EXCEL_CSV = "excel-csv", _("CSV för Excel")
        PDF = "pdf", "PDF"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(default=_expires)
    format = models.CharField(max_length=9, choices=Format.choices)
    # What to export: report key, period, objects (ids), what to include, the specification's
    # filters (see exports.content.ExportRequest).
    request = models.JSONField()
    # Addresses to e-mail the file to; none: the owner fetches it.
    email_to = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    error = models.TextField(blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    # Under DATA_DIR/exports/.
    path = models.CharField(max_length=300, blank=True)
    size = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.format}, {self.status})"
