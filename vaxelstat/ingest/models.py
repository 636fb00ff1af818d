from django.db import models


class ImportRun(models.Model):
    """One file read into the call store, and what became of its records."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    collection_point = models.ForeignKey("orgs.CollectionPoint", on_delete=models.CASCADE)
    format = models.CharField(max_length=32)
    file_name = models.CharField(max_length=1000)
    file_sha256 = models.CharField(max_length=64)
    started = models.DateTimeField()
    finished = models.DateTimeField()
    lines_read = models.PositiveIntegerField(default=0)
    legs_imported = models.PositiveIntegerField(default=0)
    # Legs whose natural key was stored before: a re-import adds nothing.
    duplicates = models.PositiveIntegerField(default=0)
    # Calls stored before whose legs this file's reading replaced (a fixed file, a growing
    # copy, the whole file after a part).
    calls_replaced = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    rejected_by_reason = models.JSONField(default=dict)
    # False from the run's creation until its legs are in the store and it is finished: a
    # run left so by a process that died is completed, or removed, by the next one
    # (pipeline.complete_interrupted). `owner`: the process ("host:pid") that runs it.
    complete = models.BooleanField(default=True)
    owner = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started"]
        # The organization's last import, which report pages show (last_of): a spool's point
        # makes a run a minute, half a million a year, not to be sorted on every page.
        indexes = [
            models.Index(fields=["organization", "-finished"], name="importrun_org_finished")
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.started:%Y-%m-%d %H:%M})"

    @classmethod
    def last_of(cls, org: object) -> "ImportRun | None":
        """The organization's import that finished last, if any."""
        return cls.objects.filter(organization=org).order_by("-finished").first()

    @property
    def base_name(self) -> str:
        """The file's name without its folder (the whole path is `file_name`)."""
        return self.file_name.rstrip("/").rsplit("/", 1)[-1] or self.file_name


class RejectedRecord(models.Model):
    """A record that could not be imported, kept so it can be seen, fixed and re-imported."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE)
    collection_point = models.ForeignKey("orgs.CollectionPoint", on_delete=models.CASCADE)
    import_run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rejects")
    file_name = models.CharField(max_length=1000)
    line = models.PositiveIntegerField()
    reason = models.CharField(max_length=40)
    detail = models.CharField(max_length=500)
    raw = models.TextField()
    raw_sha1 = models.CharField(max_length=40)
    # Set when a later import of the same file no longer rejects this record (it was fixed).
    resolved = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["collection_point", "file_name", "line", "raw_sha1"],
                name="rejected_record_once",
            )
        ]
        ordering = ["file_name", "line"]

    def __str__(self) -> str:
        return f"{self.file_name}:{self.line}: {self.reason}"
