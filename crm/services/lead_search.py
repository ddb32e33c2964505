"""Substring search over leads that stays fast at a million rows.

A plain `LIKE '%term%'` reads every lead. Both databases instead keep a trigram index over one
search document per lead (name, email, company, phone digits), built by migration 0005:

* SQLite: the FTS5 table `leads_search` (trigram tokenizer, external content read through the
  view `leads_search_source`), kept in sync by triggers on `leads`;
* PostgreSQL: a pg_trgm GIN index on the expression `SEARCH_DOCUMENT_SQL`, which the query
  below repeats character for character so that the planner matches it.

Terms shorter than a trigram cannot use either index; they match the start of the last name
instead, which the (team, last name) index answers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, column, func, literal_column, or_, select, table
from sqlalchemy.orm import Session

from crm.orm import Lead

MIN_TRIGRAM = 3
# Keep identical to the expression of ix_leads_search_trgm in migration 0005 (PostgreSQL).
SEARCH_DOCUMENT_SQL = (
    "lower(leads.first_name || ' ' || leads.last_name || ' | ' || coalesce(leads.email, '') || ' | ' "
    "|| coalesce(leads.company, '') || ' | ' || coalesce(replace(leads.phone, '+', ''), ''))"
)
_fts = table("leads_search", column("rowid"))


def search_clause(session: Session, term: str, *, selective: bool = True) -> Any:
    """WHERE clause of the leads whose name, email, company or phone contains `term`.

    `selective` (SQLite): start from the index's matches; else test each row against them.
    """
    text = " ".join(term.split()).lower()
    if len(text) < MIN_TRIGRAM:
        return _last_name_prefix(text, selective=selective)
    digits = "".join(ch for ch in text if ch.isdigit())
    phrases = [text] + ([digits] if len(digits) >= MIN_TRIGRAM and digits != text else [])
    if session.get_bind().dialect.name == "sqlite":
        # FTS5 phrase query: the trigrams of the term, consecutive = a substring of the document.
        query = " OR ".join('"' + p.replace('"', '""') + '"' for p in phrases)
        matches = select(_fts.c.rowid).where(literal_column("leads_search").op("MATCH")(query))
        # `id + 0` is no longer the rowid: SQLite then builds the match list once and walks the
        # sort index, checking each row against it, instead of sorting every match.
        return Lead.id.in_(matches) if selective else (Lead.id + 0).in_(matches)
    document = literal_column(SEARCH_DOCUMENT_SQL)
    return or_(*[document.like(f"%{_escape_like(p)}%", escape="\\") for p in phrases])


def _last_name_prefix(text: str, *, selective: bool) -> Any:
    """Last names starting with `text` (any case); `selective`: as ranges of the (team, last name) index."""
    starts = func.lower(Lead.last_name).like(f"{_escape_like(text)}%", escape="\\")
    if not selective:
        return starts  # a row test only, for a walk along another index
    ranges = []
    for start in dict.fromkeys((text, text[:1].upper() + text[1:])):
        end = start[:-1] + chr(min(ord(start[-1]) + 1, 0x10FFFF))
        ranges.append(and_(Lead.last_name >= start, Lead.last_name < end))
    # The ranges may hold more under a linguistic collation (PostgreSQL); the LIKE keeps exact starts.
    return and_(or_(*ranges), starts)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
