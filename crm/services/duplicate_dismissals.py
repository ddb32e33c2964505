""""Not duplicates": leads someone judged to be different people are no longer suggested together.

A dismissal is stored per pair of leads (smaller id first). crm.services.duplicates reads them:
a suggested group drops each lead dismissed against every other lead of the group, and is not
shown when fewer than two remain (so a group disappears once all its pairs are dismissed);
`duplicates_of` leaves out the leads dismissed against the given lead. Anyone who may see the
leads may dismiss them or undo it: a dismissal hides a suggestion, it changes no lead.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import Session

from crm.db import SessionFactory, transaction
from crm.orm import DuplicateDismissal, Lead, User
from crm.schemas.common import Actor
from crm.schemas.duplicates import (
    DismissalPage,
    DismissalResult,
    DismissDuplicates,
    DismissedPair,
    DuplicateLead,
)
from crm.services.access import load_lead, visible_leads
from crm.services.audit import record_audit
from crm.services.permissions import Action, require

MAX_PAGE = 100


def dismiss_duplicates(actor: Actor, request: DismissDuplicates, *,
                       sessions: SessionFactory | None = None) -> DismissalResult:
    """Mark these leads (all visible to the actor) as different people: no pair of them is
    suggested as duplicates again. Pairs already dismissed stay as they were."""
    with transaction(sessions) as session:
        ids = _visible_ids(session, actor, request.lead_ids)
        count = _add_pairs(session, actor.team_id, [(low, high, actor.user_id) for low, high in _pairs(ids)])
        record_audit(session, actor=actor, action="lead.duplicates_dismiss", resource="lead", resource_id=ids[0],
                     changes={"lead_ids": ids, "pairs": count})
        return DismissalResult(lead_ids=ids, pairs=count)


def restore_duplicates(actor: Actor, request: DismissDuplicates, *,
                       sessions: SessionFactory | None = None) -> DismissalResult:
    """Undo "not duplicates" for these leads (all visible to the actor): every pair among them
    may be suggested again."""
    with transaction(sessions) as session:
        ids = _visible_ids(session, actor, request.lead_ids)
        # Both ends among the ids (and low < high): exactly the pairs of this group.
        gone = session.execute(
            delete(DuplicateDismissal).where(DuplicateDismissal.team_id == actor.team_id,
                                             DuplicateDismissal.lead_id_low.in_(ids),
                                             DuplicateDismissal.lead_id_high.in_(ids))
            .execution_options(synchronize_session=False))
        count = int(getattr(gone, "rowcount", 0) or 0)
        record_audit(session, actor=actor, action="lead.duplicates_restore", resource="lead", resource_id=ids[0],
                     changes={"lead_ids": ids, "pairs": count})
        return DismissalResult(lead_ids=ids, pairs=count)


def list_dismissals(actor: Actor, *, before_id: int | None = None, limit: int = 50,
                    sessions: SessionFactory | None = None) -> DismissalPage:
    """The team's pairs marked "not duplicates", newest first (managers and above: they see every
    lead of the team). Continue with `before_id=next_cursor`."""
    require(actor, Action.VIEW_ALL_TEAM_DATA)
    limit = max(1, min(limit, MAX_PAGE))
    with transaction(sessions) as session:
        stmt = (select(DuplicateDismissal, User.name).outerjoin(User, User.id == DuplicateDismissal.dismissed_by_id)
                .where(DuplicateDismissal.team_id == actor.team_id)
                .order_by(DuplicateDismissal.id.desc()).limit(limit + 1))
        if before_id is not None:
            stmt = stmt.where(DuplicateDismissal.id < before_id)
        rows = session.execute(stmt).all()
        more = len(rows) > limit
        rows = rows[:limit]
        wanted = {i for d, _ in rows for i in (d.lead_id_low, d.lead_id_high)}
        leads = {lead.id: DuplicateLead.model_validate(lead, from_attributes=True) for lead in session.scalars(
            select(Lead).where(visible_leads(actor), Lead.id.in_(wanted)))} if wanted else {}
        items = [DismissedPair(id=d.id, leads=[leads[d.lead_id_low], leads[d.lead_id_high]], dismissed_by=name,
                               created_at=d.created_at)
                 for d, name in rows if d.lead_id_low in leads and d.lead_id_high in leads]
        return DismissalPage(items=items, next_cursor=rows[-1][0].id if more and rows else None)


def carry_dismissals(session: Session, *, team_id: int, merged_id: int, survivor_id: int) -> int:
    """Before a merge deletes `merged_id`: the survivor inherits its "not duplicates" marks.

    They are one person now, and someone said that person is not those other leads (who said so
    stays on each mark). The pair of the two merged leads itself goes: a lead is not dismissed
    against itself. Returns the pairs the survivor gained.
    """
    of_merged = (DuplicateDismissal.team_id == team_id) & (
        (DuplicateDismissal.lead_id_low == merged_id) | (DuplicateDismissal.lead_id_high == merged_id))
    rows = session.execute(select(DuplicateDismissal.lead_id_low, DuplicateDismissal.lead_id_high,
                                  DuplicateDismissal.dismissed_by_id).where(of_merged)).all()
    session.execute(delete(DuplicateDismissal).where(of_merged).execution_options(synchronize_session=False))
    carried = []
    for low, high, by in rows:
        partner = high if low == merged_id else low
        if partner != survivor_id:
            carried.append((min(survivor_id, partner), max(survivor_id, partner), by))
    return _add_pairs(session, team_id, carried)


def dismissed_partners(session: Session, team_id: int, lead_id: int) -> list[int]:
    """The leads dismissed against `lead_id` (one index lookup on each side of the pair)."""
    low_side = select(DuplicateDismissal.lead_id_high).where(
        DuplicateDismissal.team_id == team_id, DuplicateDismissal.lead_id_low == lead_id)
    high_side = select(DuplicateDismissal.lead_id_low).where(
        DuplicateDismissal.team_id == team_id, DuplicateDismissal.lead_id_high == lead_id)
    return list(session.scalars(low_side.union_all(high_side)))


def dismissed_among(session: Session, team_id: int, ids: Iterable[int]) -> dict[int, set[int]]:
    """The dismissed pairs between these leads, as each lead's dismissed partners among them.

    Looked up by the low side of each pair (the unique (lead_id_low, lead_id_high) index): the
    cost follows the number of leads asked about, never the size of the table.
    """
    wanted = sorted(set(ids))
    members = set(wanted)
    partners: dict[int, set[int]] = {}
    for start in range(0, len(wanted), 1000):  # bounded IN lists
        chunk = wanted[start:start + 1000]
        rows = session.execute(select(DuplicateDismissal.lead_id_low, DuplicateDismissal.lead_id_high).where(
            DuplicateDismissal.team_id == team_id, DuplicateDismissal.lead_id_low.in_(chunk)))
        for low, high in rows:
            if high in members:
                partners.setdefault(low, set()).add(high)
                partners.setdefault(high, set()).add(low)
    return partners


def team_has_dismissals(session: Session, team_id: int) -> bool:
    """Whether anyone in the team ever dismissed a pair (most teams: no lookups at all)."""
    return session.scalar(select(DuplicateDismissal.id).where(DuplicateDismissal.team_id == team_id).limit(1)) \
        is not None


def _visible_ids(session: Session, actor: Actor, lead_ids: list[int]) -> list[int]:
    """The ids, each checked visible to the actor (another team's or a hidden lead: NotFound)."""
    return sorted({load_lead(session, actor, lead_id).id for lead_id in lead_ids})


def _pairs(ids: list[int]) -> Iterable[tuple[int, int]]:
    return itertools.combinations(sorted(ids), 2)


def _add_pairs(session: Session, team_id: int, pairs: list[tuple[int, int, int | None]]) -> int:
    """Insert the (low, high, dismissed by) pairs not stored yet; return how many were new."""
    rows = [{"team_id": team_id, "lead_id_low": low, "lead_id_high": high, "dismissed_by_id": by}
            for low, high, by in pairs]
    if not rows:
        return 0
    # Two people dismissing the same group at once: the later one's pairs are no-ops, not errors.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite_dialect.insert
    stmt = insert(DuplicateDismissal).on_conflict_do_nothing().returning(DuplicateDismissal.id)
    return len(session.execute(stmt, rows).all())
