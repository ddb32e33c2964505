"""The "Imported from <file>" timeline entry of a lead an import created, built when it is read.

An import no longer writes one `activities` row per new lead: at 100,000 leads those rows (their
four indexes and three foreign-key checks) cost more than any other part of the import but the
leads themselves. The report line already says which import created the lead, and the lead's own
`created_at` / `created_by_id` are the batch's time and the user who ran the import — exactly the
time and author the activity row had — so the entry is rebuilt from them.

Leads imported before this change still have their activity row; the entry is not synthesised
for them (same title, type and time), so their timeline shows it once.
"""

from __future__ import annotations

from sqlalchemy import String, and_, exists, func, literal, select
from sqlalchemy.orm import Session

from crm.enums import ActivityType, ImportOutcome
from crm.orm import Activity, Lead, LeadImport, LeadImportRow, User
from crm.schemas.leads import TimelineEntry

CREATED_TITLE = "Imported from "
TITLE_FILENAME_CHARS = 200  # the activity title's room for the file name (title is 300 characters)


def created_title(filename: str) -> str:
    """The title of the entry of a lead created by the import of `filename`."""
    return f"{CREATED_TITLE}{filename[:TITLE_FILENAME_CHARS]}"


def import_timeline_entries(session: Session, lead_id: int) -> list[TimelineEntry]:
    """The synthesised "Imported from <file>" entries of one lead (none if no import created it)."""
    title = literal(CREATED_TITLE) + func.substr(LeadImport.filename, 1, TITLE_FILENAME_CHARS, type_=String)
    already_written = exists().where(and_(
        Activity.lead_id == lead_id, Activity.type == ActivityType.LEAD_CREATED, Activity.title == title))
    rows = session.execute(
        select(LeadImport.filename, Lead.created_at, User.name)
        .select_from(LeadImportRow)
        .join(LeadImport, LeadImport.id == LeadImportRow.import_id)
        .join(Lead, Lead.id == LeadImportRow.lead_id)
        .outerjoin(User, User.id == Lead.created_by_id)
        .where(LeadImportRow.lead_id == lead_id, LeadImportRow.outcome == ImportOutcome.CREATED,
               ~already_written)
        .order_by(LeadImportRow.id)
    ).all()
    return [TimelineEntry(kind="activity", type=ActivityType.LEAD_CREATED, title=created_title(filename),
                          body=None, author=author, at=at) for filename, at, author in rows]


__all__ = ["created_title", "import_timeline_entries"]
