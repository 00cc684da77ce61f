"""Import batches: one upload of a spreadsheet, previewed, applied, and perhaps undone."""

import uuid

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from common.db import in_choices


class BatchStatus(models.TextChoices):
    PREVIEWED = "previewed", "Previewed"
    APPLIED = "applied", "Imported"
    UNDONE = "undone", "Undone"


class ImportBatch(models.Model):
    """One uploaded spreadsheet: its preview, then all of its rows written, or none of them.

    Every row an applied batch writes has a history row whose reason is ``reason`` (it names the
    batch and the file), which is how an undo finds what the batch did.
    """

    Status = BatchStatus

    kind = models.CharField(max_length=30)
    file_name = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=80, editable=False)
    sha256 = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="SHA-256 of the uploaded file; two confirmations of one file are serialised.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_batches"
    )
    status = models.CharField(max_length=20, choices=BatchStatus.choices)
    counts = models.JSONField(default=dict)
    errors = models.JSONField(default=list, help_text="Row errors of the latest preview.")
    sample = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["errors", "sample"])

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "import batches"
        permissions = [
            ("import_sheets", "Can import spreadsheets"),
            ("undo_importbatch", "Can undo an import batch"),
        ]
        constraints = [in_choices("status", BatchStatus, "%(app_label)s_%(class)s_status_valid")]
        indexes = [models.Index(fields=["kind", "sha256"], name="common_importbatch_content")]

    def __str__(self) -> str:
        return f"Import batch {self.pk}: {self.file_name}"

    @property
    def reason(self) -> str:
        return f"Import batch {self.pk} ({self.kind}): {self.file_name}"

    @property
    def undo_reason(self) -> str:
        return f"Undo of import batch {self.pk} ({self.kind}): {self.file_name}"

    @staticmethod
    def new_stored_name(file_name: str) -> str:
        return f"{uuid.uuid4().hex}.{file_name.rsplit('.', 1)[-1].lower()}"
