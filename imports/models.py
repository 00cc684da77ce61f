"""Import batches: one upload of a spreadsheet, previewed, applied, and perhaps undone."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalRecords

from common.db import in_choices


class BatchStatus(models.TextChoices):
    PREVIEWED = "previewed", gettext_lazy("Previewed")
    APPLIED = "applied", gettext_lazy("Imported")
    UNDONE = "undone", gettext_lazy("Undone")
    EXPIRED = "expired", gettext_lazy("Expired")
    # A large sheet is read and planned, and later written, by a background worker.
    PLANNING = "planning", gettext_lazy("Being read")
    APPLYING = "applying", gettext_lazy("Being imported")
    # The background run stopped before it finished (its worker died): nothing was written,
    # and it can be run again. A file the background preview refuses is refused, as an upload
    # refused in the request is.
    FAILED = "failed", gettext_lazy("Run failed")
    REFUSED = "refused", gettext_lazy("Refused")


class BatchStage(models.TextChoices):
    """What a background run of a batch does: the preview, or the confirmation's writes."""

    PREVIEW = "preview", gettext_lazy("preview")
    CONFIRM = "confirm", gettext_lazy("confirmation")


# A batch in one of these is being worked on by a background worker, or waits for one.
RUNNING = (BatchStatus.PLANNING, BatchStatus.APPLYING)


class ImportBatch(models.Model):
    """One uploaded spreadsheet: its preview, then all of its rows written, or none of them.

    Every row an applied batch writes has a history row whose reason is ``reason`` (it names the
    batch and the file), which is how an undo finds what the batch did, and its page lists it.
    A preview not confirmed within ``IMPORT_PREVIEW_DAYS`` expires, and its files are deleted.
    """

    Status = BatchStatus
    Stage = BatchStage

    kind = models.CharField(gettext_lazy("kind"), max_length=30)
    file_name = models.CharField(gettext_lazy("file name"), max_length=255)
    stored_name = models.CharField(gettext_lazy("stored name"), max_length=80, editable=False)
    sha256 = models.CharField(
        gettext_lazy("sha256"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=gettext_lazy(
            "SHA-256 of the uploaded file; two confirmations of one file are serialised."
        ),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="import_batches",
        verbose_name=gettext_lazy("user"),
    )
    status = models.CharField(gettext_lazy("status"), max_length=20, choices=BatchStatus.choices)
    counts = models.JSONField(gettext_lazy("counts"), default=dict)
    errors = models.JSONField(
        gettext_lazy("errors"),
        default=list,
        help_text=gettext_lazy("Row errors of the latest preview."),
    )
    sample = models.JSONField(gettext_lazy("sample"), default=list)
    columns = models.JSONField(
        gettext_lazy("columns"),
        default=dict,
        help_text=gettext_lazy(
            "Per column, how many stored records the import changes; and the columns the sheet "
            "leaves out, whose fields it leaves as they are."
        ),
    )
    mapping = models.JSONField(
        gettext_lazy("mapping"),
        default=dict,
        blank=True,
        help_text=gettext_lazy(
            "How the sheet's headers and values were read, as the steward chose them."
        ),
    )
    size = models.PositiveBigIntegerField(
        gettext_lazy("size"), default=0, help_text=gettext_lazy("Bytes of the uploaded file.")
    )
    stage = models.CharField(
        gettext_lazy("background stage"),
        max_length=10,
        choices=BatchStage.choices,
        blank=True,
        help_text=gettext_lazy("What the background worker does, or did last, for this batch."),
    )
    confirm_when_planned = models.BooleanField(
        gettext_lazy("confirmed when planned"),
        default=False,
        editable=False,
        help_text=gettext_lazy(
            "Sent through the API: written as soon as its background preview finds no error, "
            "with no steward to confirm it."
        ),
    )
    task_id = models.CharField(gettext_lazy("task"), max_length=64, blank=True, editable=False)
    queued_at = models.DateTimeField(gettext_lazy("queued at"), null=True, blank=True)
    failure = models.JSONField(
        gettext_lazy("failure"),
        default=dict,
        blank=True,
        help_text=gettext_lazy(
            "Why the last background run did not finish, or what it refused (shown in the "
            "reader's language)."
        ),
    )
    created_at = models.DateTimeField(gettext_lazy("created at"), auto_now_add=True)
    applied_at = models.DateTimeField(gettext_lazy("applied at"), null=True, blank=True)
    undone_at = models.DateTimeField(gettext_lazy("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("undone by"),
    )

    history = HistoricalRecords(
        excluded_fields=["errors", "sample"],
        verbose_name=gettext_lazy("historical import batch"),
        verbose_name_plural=gettext_lazy("historical import batches"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = gettext_lazy("import batch")
        verbose_name_plural = gettext_lazy("import batches")
        permissions = [
            ("import_sheets", "Can import spreadsheets"),
            ("undo_importbatch", "Can undo an import batch"),
            ("undo_own_importbatch", "Can undo their own import batches"),
        ]
        constraints = [
            in_choices("status", BatchStatus, "%(app_label)s_%(class)s_status_valid"),
            models.CheckConstraint(
                condition=models.Q(stage="") | models.Q(stage__in=BatchStage.values),
                name="%(app_label)s_%(class)s_stage_valid",
            ),
        ]
        indexes = [models.Index(fields=["kind", "sha256"], name="imports_importbatch_content")]

    def __str__(self) -> str:
        return _("Import batch %(id)s: %(file)s") % {"id": self.pk, "file": self.file_name}

    @property
    def reason(self) -> str:
        # Not translated: the undo finds the rows a batch wrote by this reason, so it must read
        # the same whatever language the steward who confirmed the batch was reading in.
        return f"Import batch {self.pk} ({self.kind}): {self.file_name}"

    @property
    def undo_reason(self) -> str:
        return _("Undo of import batch %(id)s (%(kind)s): %(file)s") % {
            "id": self.pk,
            "kind": self.kind,
            "file": self.file_name,
        }

    @staticmethod
    def new_stored_name(file_name: str) -> str:
        return f"{uuid.uuid4().hex}.{file_name.rsplit('.', 1)[-1].lower()}"
