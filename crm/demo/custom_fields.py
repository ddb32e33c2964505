"""The demo teams' custom lead fields, and their values on a share of the buyer-like leads.

Values come from a hash of the lead id, not from the generator's random stream: the rest of the
demo stays exactly as it was for a given seed, and a lead costs one multiplication when it gets
nothing and a short f-string when it does (the seeder makes a million leads).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from crm.demo.bulk import JsonText
from crm.enums import CustomFieldType
from crm.services.custom_field_indexes import ensure_custom_field_indexes

T = CustomFieldType
COLUMNS = ("id", "team_id", "key", "label", "field_type", "required", "choices", "position", "created_at")
SHARE_PERCENT = 40  # of buyer-like leads carry values
AREAS = ("Downtown", "Suburbs", "Waterfront", "Near good schools", "Near transit", "Quiet street")
FINANCING = ("Cash", "Conventional", "FHA", "VA")
DAY_S = 86_400


@dataclass(frozen=True)
class DemoField:
    key: str
    label: str
    field_type: CustomFieldType
    choices: tuple[str, ...] = ()


_PRE_APPROVED = DemoField("pre_approved", "Pre-approved", T.BOOLEAN)
_BUDGET = DemoField("max_budget", "Max budget", T.NUMBER)
_MOVE_IN = DemoField("move_in_by", "Move-in by", T.DATE)
TEAM_FIELDS: dict[str, tuple[DemoField, ...]] = {
    "harbor-oak": (_PRE_APPROVED, _BUDGET, _MOVE_IN, DemoField("preferred_areas", "Preferred areas",
                                                                T.MULTI_SELECT, AREAS)),
    "summit-peak": (_PRE_APPROVED, _BUDGET, DemoField("financing", "Financing", T.SELECT, FINANCING), _MOVE_IN),
}


def definition_rows(slug: str, team_id: int, ids: Iterator[int], created: int) -> list[tuple[object, ...]]:
    """Rows for custom_field_definitions (COLUMNS) of the team with this slug."""
    return [(next(ids), team_id, f.key, f.label, f.field_type.value, False,
             JsonText(json.dumps(list(f.choices))) if f.choices else None, position, created)
            for position, f in enumerate(TEAM_FIELDS.get(slug, ()))]


def lead_values(slug: str, lead_id: int, price: float, created: int) -> JsonText | None:
    """The lead's custom_fields JSON (stored form), or None for most leads."""
    h = (lead_id * 2654435761) & 0xFFFFFFFF  # Knuth's multiplicative hash: well spread, no RNG draw
    if h % 100 >= SHARE_PERCENT or not price:
        return None
    budget = int(round(price * (1 + (h >> 8) % 25 / 100) / 5000) * 5000)
    parts = [f'"pre_approved": {"true" if (h >> 7) % 3 else "false"}', f'"max_budget": {budget}']
    if (h >> 13) % 3:
        day = dt.datetime.fromtimestamp(created + (30 + (h >> 15) % 240) * DAY_S, dt.UTC).date()
        parts.append(f'"move_in_by": "{day.isoformat()}"')
    if slug == "harbor-oak":
        first, second = (h >> 20) % len(AREAS), (h >> 24) % len(AREAS)
        picked = [a for n, a in enumerate(AREAS) if n in (first, second)]  # definition order, no repeats
        parts.append(f'"preferred_areas": {json.dumps(picked)}')
    elif (h >> 20) % 4:
        parts.append(f'"financing": "{FINANCING[(h >> 22) % len(FINANCING)]}"')
    return JsonText("{" + ", ".join(parts) + "}")


def create_indexes(conn: Connection) -> list[str]:
    """Build the filter index of every custom field after the bulk load (the rows are written first:
    one index build is cheaper than maintaining it row by row); returns the names created."""
    return ensure_custom_field_indexes(conn)
