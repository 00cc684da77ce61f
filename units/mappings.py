"""Saved sheet mappings, kept per institution (``imports.mapping`` reads and writes them here)."""

from common.access import access_for, reach_of
from imports.mapping import Mapping, signature
from units.models import Institution, SheetMapping
from units.services import sheet_mapping_save


class SavedMappings:
    """The mapping store the import engine is given (``units.apps``)."""

    def find(self, user, kind: str, headers: list[str]) -> Mapping | None:
        """The newest mapping of the user's institutions saved for sheets with these headers."""
        access = access_for(user)
        saved = (
            SheetMapping.objects.filter(access.visible(reach_of(SheetMapping)))
            .filter(kind=kind, signature=signature(headers))
            .order_by("-updated_at", "-pk")
            .first()
        )
        if saved is None:
            return None
        return Mapping.from_dict(
            {"columns": saved.columns, "values": saved.values, "name": saved.name}
        )

    def institutions(self, user) -> list[tuple[int, str]]:
        """Where the user may save a mapping: the institutions their scope may edit."""
        access = access_for(user)
        found = Institution.objects.filter(access.editable(reach_of(Institution)))
        return [(institution.pk, str(institution)) for institution in found.order_by("code")]

    def save(
        self, user, *, institution_id: int, kind: str, headers: list[str], mapping: Mapping,
        reason: str,
    ) -> SheetMapping:  # fmt: skip
        """Save (or replace, under the same name) a mapping, with its author and reason."""
        if institution_id not in {pk for pk, _label in self.institutions(user)}:
            raise PermissionError("institution outside the user's scope")
        return sheet_mapping_save(
            user=user,
            institution_id=institution_id,
            kind=kind,
            headers=headers,
            mapping=mapping,
            reason=reason,
        )
