"""The Leads page's filter bar: widgets <-> LeadFilter, the "More filters" popover, and keyset paging.

Every widget keeps its value in st.session_state under a `leads_` key, so a saved view can be
applied by writing those keys (`apply_to_widgets`) before the widgets render, and "Clear
filters" by removing them. Paging is a stack of cursors: page n is read from the cursor the
previous page returned; it restarts whenever the filter or sort changes (`page_filter`).
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Sequence
from typing import Any

import streamlit as st

from crm.enums import CustomFieldType, LeadSource, LeadStatus
from crm.schemas.common import Actor
from crm.schemas.leads import CustomFieldFilter, LeadFilter, LeadPage, LeadSort
from crm.schemas.tags import TagOut
from crm.services import leads, tags
from crm.services.custom_fields import FieldDefinition
from crm.ui import custom_field_inputs
from crm.ui.custom_field_inputs import DATE_MAX, DATE_MIN
from crm.ui.format import count, enum_label

PAGE_SIZE = 50
ANY, UNASSIGNED = "any", "unassigned"
SCORE_FULL = (0, 100)
CUSTOM_PREFIX = "leads_cf"
SEARCH, STATUSES, SOURCES, ASSIGNEE, TAGS, SORT = ("leads_search", "leads_statuses", "leads_sources",
                                                    "leads_assignee", "leads_tags", "leads_sort")
SCORE, CREATED, CONTACTED, NEVER = "leads_score", "leads_created_between", "leads_contacted_between", \
    "leads_never_contacted"
# Conditions of an applied view the custom-field controls cannot show (e.g. `is_set` from the API).
EXTRA_CUSTOM = "leads_extra_custom"
CURSORS = "leads_cursors"  # cursors of the pages before the current one ([] on page 1)
SIGNATURE = "leads_filter_signature"
MAIN_KEYS = (SEARCH, STATUSES, SOURCES, ASSIGNEE, TAGS, SORT)
MORE_KEYS = (SCORE, CREATED, CONTACTED, NEVER)
SORT_LABELS = {
    LeadSort.NEWEST: "Newest first", LeadSort.OLDEST: "Oldest first", LeadSort.NAME: "Name (A–Z)",
    LeadSort.SCORE: "Highest score", LeadSort.VALUE: "Highest value", LeadSort.LAST_CONTACT: "Last contacted",
}
_BOOLEAN_CHOICE = {True: "Yes", False: "No"}


@st.cache_data(ttl=60, show_spinner=False, hash_funcs={Actor: lambda a: (a.user_id, a.team_id, a.team_role.value)})
def team_tags(actor: Actor) -> list[TagOut]:
    """The team's tags for the filter (cached a minute: the list counts leads per tag)."""
    return tags.list_tags(actor)


def total_label(page: LeadPage) -> str:
    """"1,234", or "500+" once the count stopped at its cap."""
    return count(page.total) + ("" if page.total_is_exact else "+")


# --- widgets ----------------------------------------------------------------------------------------


def main_filters(team: dict[int, str], tag_names: dict[int, str]) -> dict[str, Any]:
    """Search, status, source, assignee, tags and sort: the row always on screen."""
    def assignee_label(choice: str | int) -> str:
        if choice == ANY:
            return "Anyone"
        if choice == UNASSIGNED:
            return "Unassigned"
        return team.get(int(choice), "Former member")

    # A tag deleted or a member removed since the value was set is no option any more: drop it.
    state = st.session_state
    if any(i not in tag_names for i in state.get(TAGS) or []):
        state[TAGS] = [i for i in state[TAGS] if i in tag_names]
    if state.get(ASSIGNEE, ANY) not in (ANY, UNASSIGNED, *team):
        state[ASSIGNEE] = ANY
    search_col, status_col, source_col, assignee_col, tag_col, sort_col = st.columns([3, 2, 2, 2, 2, 2])
    return {
        "search": search_col.text_input("Search", key=SEARCH, type="search", persist_state="session",
                                        placeholder="Name, email, company or phone"),
        "statuses": status_col.multiselect("Status", list(LeadStatus), format_func=enum_label, key=STATUSES,
                                           placeholder="All", persist_state="session"),
        "sources": source_col.multiselect("Source", list(LeadSource), format_func=enum_label, key=SOURCES,
                                          placeholder="All", persist_state="session"),
        "assignee": assignee_col.selectbox("Assignee", [ANY, UNASSIGNED, *team], format_func=assignee_label,
                                           key=ASSIGNEE, persist_state="session"),
        "tag_ids": tag_col.multiselect("Tags", list(tag_names), format_func=lambda i: tag_names.get(i, "Deleted tag"),
                                       key=TAGS, placeholder="Any", persist_state="session",
                                       help="Leads carrying any of these tags"),
        "sort": sort_col.selectbox("Sort by", list(LeadSort), format_func=SORT_LABELS.__getitem__, key=SORT,
                                   persist_state="session"),
    }


def more_filters(fields: Sequence[FieldDefinition]) -> dict[str, Any]:
    """Score, dates, "never contacted" and custom fields, in a popover whose label counts the active ones."""
    active = active_more_count()
    label = f"More filters ({active})" if active else "More filters"
    values: dict[str, Any] = {}
    with st.popover(label, icon=":material/tune:"):
        st.session_state.setdefault(SCORE, SCORE_FULL)
        values["score"] = st.slider("Score", 0, 100, key=SCORE, persist_state="session")
        created_col, contacted_col = st.columns(2)
        values["created"] = created_col.date_input("Created between", value=(), key=CREATED, format="YYYY-MM-DD",
                                                   min_value=DATE_MIN, max_value=DATE_MAX, persist_state="session")
        values["contacted"] = contacted_col.date_input("Last contacted between", value=(), key=CONTACTED,
                                                       format="YYYY-MM-DD", min_value=DATE_MIN, max_value=DATE_MAX,
                                                       persist_state="session")
        values["never_contacted"] = st.checkbox("Never contacted", key=NEVER, persist_state="session")
        if fields:
            st.markdown("**Custom fields**")
            values["custom"] = custom_field_inputs.filter_controls(fields, CUSTOM_PREFIX)
        else:
            values["custom"] = []
        extra = st.session_state.get(EXTRA_CUSTOM) or []
        if extra:
            st.caption(f"Also applied, from the saved view: {len(extra)} more custom-field "
                       f"condition{'s' if len(extra) != 1 else ''} these controls cannot show.")
    return values


def active_more_count() -> int:
    """How many of the "More filters" are set (read from session state, so the label is right on render)."""
    state = st.session_state
    n = int(tuple(state.get(SCORE) or SCORE_FULL) != SCORE_FULL)
    n += sum(1 for key in (CREATED, CONTACTED) if _dates(state.get(key)) != (None, None))
    n += int(bool(state.get(NEVER)))
    for key, value in list(state.items()):
        if str(key).startswith(f"{CUSTOM_PREFIX}_") and value not in (None, "", [], "Any"):
            n += 1
    return n + len(state.get(EXTRA_CUSTOM) or [])


def build_filter(main: dict[str, Any], more: dict[str, Any]) -> LeadFilter:
    """The widgets' values as a LeadFilter (first page; `page_filter` adds the cursor)."""
    assignee = main["assignee"]
    low, high = more["score"]
    created_from, created_to = _dates(more["created"])
    contact_from, contact_to = _dates(more["contacted"])
    return LeadFilter(
        search=main["search"] or None, statuses=main["statuses"], sources=main["sources"],
        tag_ids=main["tag_ids"], unassigned=assignee == UNASSIGNED,
        assigned_to_id=assignee if isinstance(assignee, int) else None,
        score_min=low if low > 0 else None, score_max=high if high < 100 else None,
        created_from=created_from, created_to=created_to,
        last_contact_from=contact_from, last_contact_to=contact_to,
        never_contacted=bool(more["never_contacted"]),
        custom=[*more["custom"], *(CustomFieldFilter.model_validate(c) for c in st.session_state.get(EXTRA_CUSTOM) or [])],
        sort=main["sort"], page_size=PAGE_SIZE,
    )


def is_filtered(filters: LeadFilter) -> bool:
    """Whether anything narrows the list (the sort does not)."""
    return filters.model_dump(exclude={"sort", "cursor", "page_size"}) != \
        LeadFilter().model_dump(exclude={"sort", "cursor", "page_size"})


# --- state: clearing and applying a saved view -----------------------------------------------------


def clear_filters() -> None:
    """on_click of "Clear filters": every filter back to "all" (the sort stays)."""
    st.session_state.pop(EXTRA_CUSTOM, None)
    for key in [k for k in st.session_state if str(k).startswith(f"{CUSTOM_PREFIX}_")]:
        del st.session_state[key]
    st.session_state[SEARCH] = ""
    st.session_state[STATUSES] = []
    st.session_state[SOURCES] = []
    st.session_state[ASSIGNEE] = ANY
    st.session_state[TAGS] = []
    st.session_state[SCORE] = SCORE_FULL
    st.session_state[CREATED] = ()
    st.session_state[CONTACTED] = ()
    st.session_state[NEVER] = False


def apply_to_widgets(filters: LeadFilter, fields: Sequence[FieldDefinition], team: dict[int, str]) -> None:
    """Write a saved view's filter and sort into the widgets' state (call before they render)."""
    clear_filters()
    state = st.session_state
    state[SEARCH] = filters.search or ""
    state[STATUSES] = list(filters.statuses)
    state[SOURCES] = list(filters.sources)
    if filters.unassigned:
        state[ASSIGNEE] = UNASSIGNED
    elif filters.assigned_to_id is not None:
        # A former member is no option of the selectbox: keep the filter visible as "Former member".
        state[ASSIGNEE] = filters.assigned_to_id if filters.assigned_to_id in team else ANY
    state[TAGS] = list(filters.tag_ids)
    state[SORT] = filters.sort
    state[SCORE] = (filters.score_min or 0, 100 if filters.score_max is None else filters.score_max)
    state[CREATED] = _range(filters.created_from, filters.created_to)
    state[CONTACTED] = _range(filters.last_contact_from, filters.last_contact_to)
    state[NEVER] = filters.never_contacted
    by_key = {f.key: f for f in fields}
    extra = [c.model_dump(mode="json") for c in filters.custom if not _preset_custom(c, by_key.get(c.key))]
    state[EXTRA_CUSTOM] = extra


def _preset_custom(condition: CustomFieldFilter, field: FieldDefinition | None) -> bool:
    """Set the custom-field control that shows `condition`; False when no control can show it."""
    if field is None:
        return False
    key, kind, op, value = f"{CUSTOM_PREFIX}_{field.key}", field.field_type, condition.op, condition.value
    state = st.session_state
    if kind is CustomFieldType.TEXT and op == "contains" and isinstance(value, str):
        state[key] = value
    elif kind in (CustomFieldType.NUMBER, CustomFieldType.DATE) and op in ("gte", "lte") and value is not None:
        bound = f"{key}_{'min' if op == 'gte' else 'max'}"
        try:
            state[bound] = float(value) if kind is CustomFieldType.NUMBER else dt.date.fromisoformat(str(value))
        except (TypeError, ValueError):
            return False
    elif kind in (CustomFieldType.SELECT, CustomFieldType.MULTI_SELECT) and op == "any_of" \
            and isinstance(value, list):
        state[key] = [v for v in value if v in field.choices]
    elif kind is CustomFieldType.BOOLEAN and op == "eq" and isinstance(value, bool):
        state[key] = _BOOLEAN_CHOICE[value]
    elif kind is CustomFieldType.BOOLEAN and op == "is_empty":
        state[key] = "Not set"
    else:
        return False
    return True


# --- keyset paging -------------------------------------------------------------------------------


def page_filter(filters: LeadFilter) -> tuple[LeadFilter, int]:
    """The filter for the page on screen and its number (1-based); back to page 1 when the filter changed."""
    signature = json.dumps(filters.model_dump(mode="json", exclude={"cursor"}), sort_keys=True)
    if st.session_state.get(SIGNATURE) != signature:
        st.session_state[SIGNATURE] = signature
        st.session_state[CURSORS] = []
    stack: list[str] = st.session_state.setdefault(CURSORS, [])
    cursor = stack[-1] if stack else None
    return filters.model_copy(update={"cursor": cursor}), len(stack) + 1


def page_token(page: LeadFilter) -> str:
    """A short name of the page on screen (filter + cursor), e.g. for a per-page widget key."""
    return f"{zlib.crc32(page.model_dump_json().encode()):08x}"


def to_first_page() -> None:
    st.session_state[CURSORS] = []


def next_page(cursor: str) -> None:
    st.session_state.setdefault(CURSORS, []).append(cursor)


def previous_page() -> None:
    stack = st.session_state.get(CURSORS) or []
    if stack:
        stack.pop()


def _dates(value: Any) -> tuple[dt.date | None, dt.date | None]:
    """A date_input range value -> (from, to); one picked day means that day only; the picker's
    outer limits stand for an open end (the picker holds whole ranges only)."""
    days = [d for d in (value or ()) if isinstance(d, dt.date)] if isinstance(value, (tuple, list)) else []
    if not days:
        return None, None
    start, end = days[0], days[-1]
    return (None if start == DATE_MIN else start), (None if end == DATE_MAX else end)


def _range(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, ...]:
    """(from, to) of a filter -> the picker's value; an open end (API-made views) becomes the picker's limit."""
    if start is None and end is None:
        return ()
    return (start or DATE_MIN, end or DATE_MAX)


# --- the exact total, on request ----------------------------------------------------------------

COUNTED = "leads_counted"  # {filter signature: exact total} counted by "Count all"


def counted_total(filters: LeadFilter) -> int | None:
    """The exact total "Count all" found for this filter in this session, if it was asked."""
    return (st.session_state.get(COUNTED) or {}).get(page_token(filters.model_copy(update={"cursor": None})))


def count_all(actor: Actor, filters: LeadFilter) -> None:
    """Count every lead of the view (the list stops counting at its cap) and remember it."""
    with st.spinner("Counting…"):
        total = leads.count_leads(actor, filters)
    st.session_state.setdefault(COUNTED, {})[page_token(filters.model_copy(update={"cursor": None}))] = total
