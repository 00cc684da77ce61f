"""What the roles may do with import batches."""

from common.roles import DATA_STEWARD, grant

IMPORT = "imports.import_sheets"
UNDO_IMPORT = "imports.undo_importbatch"  # any batch
UNDO_OWN_IMPORT = "imports.undo_own_importbatch"  # the batches one imported oneself

grant([DATA_STEWARD], [IMPORT, UNDO_OWN_IMPORT, "imports.view_importbatch"])
