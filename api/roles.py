"""What the roles may do with API tokens: every staff role makes and revokes its own; an
administrator (who holds every permission) lists and revokes anyone's."""

from common.roles import RECORD_READERS, grant, writes

grant(RECORD_READERS, writes("api", {"apitoken": "acv"}))
