"""Likely duplicate leads: same email (Gmail dots and "+tags" ignored), same phone, or similar
names at the same company or with the same phone.

Built for teams with a million leads: candidate blocks come from GROUP BY … HAVING count(*) > 1
in the database (the phone blocks walk the (team_id, phone) index, the company blocks the
(team_id, company key) one), names are only compared with rapidfuzz inside a block, and each call
looks at a bounded number of blocks, returning a cursor to continue from. Nothing loads the
leads table.

Pairs marked "not duplicates" (crm.services.duplicate_dismissals) are looked up for the leads a
call reads, by index: a group drops each lead dismissed against every other lead of the group
and is not shown when fewer than two remain; the leads dismissed against fewer of the others
come first, so a group bigger than what is shown brings its other leads forward.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import ColumnElement, String, case, cast, func, literal, or_, select, text
from sqlalchemy.orm import Session

from crm.db import SessionFactory, transaction
from crm.errors import ValidationFailed
from crm.orm import Lead
from crm.orm.duplicates import company_key
from crm.schemas.common import Actor
from crm.schemas.duplicates import (
    DuplicateGroup,
    DuplicateLead,
    DuplicateMatch,
    DuplicatePage,
    DuplicateProbe,
    DuplicateQuery,
    DuplicateReason,
)
from crm.services.access import load_lead, visible_leads
from crm.services.duplicate_dismissals import dismissed_among, dismissed_partners, team_has_dismissals

NAME_SIMILARITY = 90  # rapidfuzz token_sort_ratio on "first last", 0-100
GMAIL_DOMAINS = ("gmail.com", "googlemail.com")
BLOCKS_PER_CALL = 2000  # candidate blocks one call looks at: bounds the work of a request
MAX_GROUP_LEADS = 25  # leads shown per group (`size` still counts them all)
MAX_BLOCK_IDS = 5000  # members of one block compared by name; beyond, the block is truncated
NAME_SUBBLOCK = 300  # a bigger company block is compared by name only within the same initials
LOAD_CHUNK = 50  # blocks whose leads are read at a time
MAX_LOADED = 20_000  # leads one call reads at most (then it stops and returns a cursor)
MAX_MATCHES = 50  # duplicates_of answers at most this many leads
_SECTIONS = (DuplicateReason.EMAIL, DuplicateReason.PHONE, DuplicateReason.NAME_COMPANY)


@dataclass(frozen=True)
class _Person:
    lead: DuplicateLead
    email_key: str | None
    name: str
    company_key: str | None


def canonical_email(email: str | None) -> str | None:
    """The address mail actually reaches: "+tags" dropped, and for Gmail the dots too."""
    if not email or "@" not in email:
        return email or None
    local, domain = email.lower().rsplit("@", 1)
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), GMAIL_DOMAINS[0]
    return f"{local}@{domain}"


def find_duplicates(actor: Actor, query: DuplicateQuery, *,
                    sessions: SessionFactory | None = None) -> DuplicatePage:
    """Groups of leads (among those the actor may see) that look like the same person, each with
    its reasons. Email groups come first, then phone, then similar names at one company; a group
    already shown for an earlier reason is not repeated, and leads marked "not duplicates" of all
    the others of a group leave it. Continue with `next_cursor`."""
    wanted = set(query.reasons) or set(DuplicateReason)
    section, after = _decode_cursor(query.cursor)
    groups: list[DuplicateGroup] = []
    with transaction(sessions) as session:
        any_dismissed = team_has_dismissals(session, actor.team_id)  # most teams: no lookups at all
        budget = BLOCKS_PER_CALL
        while section < len(_SECTIONS):
            kind = _SECTIONS[section]
            if not _section_wanted(kind, wanted):
                section, after = section + 1, None
                continue
            # Few blocks first (a page of phone groups needs about `limit` of them), more while
            # blocks yield nothing (most companies hold no similar names).
            batch = min(budget, max(2 * query.limit, 25))
            while True:
                blocks = _blocks(session, actor, kind, after, batch)
                budget -= len(blocks)
                after, full = _scan(session, actor, kind, wanted, blocks, groups, query.limit, after,
                                    any_dismissed=any_dismissed)
                if full or (budget <= 0 and len(blocks) == batch):
                    return DuplicatePage(groups=groups, next_cursor=_encode_cursor(section, after))
                if len(blocks) < batch:
                    break
                batch = min(batch * 4, budget)
            section, after = section + 1, None
    return DuplicatePage(groups=groups, next_cursor=None)


def _scan(session: Session, actor: Actor, kind: DuplicateReason, wanted: set[DuplicateReason],
          blocks: list[tuple[str, list[int]]], groups: list[DuplicateGroup], limit: int,
          after: str | None, *, any_dismissed: bool) -> tuple[str | None, bool]:
    """Turn blocks into groups (appended to `groups`) until the page is full or too many leads
    were read; return the key of the last block used and whether to stop here."""
    loaded = 0
    scanned = _scanned_before(kind, wanted)
    for start in range(0, len(blocks), LOAD_CHUNK):
        chunk = blocks[start:start + LOAD_CHUNK]
        members = _load(session, actor, {i for _, ids in chunk for i in ids[:MAX_BLOCK_IDS]})
        loaded += len(members)
        dismissed = dismissed_among(session, actor.team_id, members) if any_dismissed else {}
        for key, ids in chunk:
            after = key
            if len(ids) < 2:
                continue
            people = [members[i] for i in ids[:MAX_BLOCK_IDS] if i in members]
            found = _groups_of_block(kind, key, people, len(ids), scanned=scanned, dismissed=dismissed)
            groups += [g for g in found if set(g.reasons) & wanted]
            if len(groups) >= limit:
                return after, True
        if loaded >= MAX_LOADED and after != blocks[-1][0]:
            return after, True
    return after, False


def duplicates_of(actor: Actor, lead_id: int, *, sessions: SessionFactory | None = None) -> list[DuplicateMatch]:
    """Leads the actor may see that look like this one (for its page and before a merge), except
    those marked "not duplicates" with it."""
    with transaction(sessions) as session:
        lead = load_lead(session, actor, lead_id)
        probe = DuplicateProbe.model_construct(first_name=lead.first_name, last_name=lead.last_name,
                                               email=lead.email, phone=lead.phone, company=lead.company)
        dismissed = set(dismissed_partners(session, actor.team_id, lead.id))
        return _matches(session, actor, probe, exclude_ids={lead.id, *dismissed})


def find_matches(actor: Actor, probe: DuplicateProbe, *,
                 sessions: SessionFactory | None = None) -> list[DuplicateMatch]:
    """Leads the actor may see that a lead about to be created would duplicate (a form warning)."""
    with transaction(sessions) as session:
        return _matches(session, actor, probe, exclude_ids=set())


# --- one lead: index lookups only (the lead's page must open fast) -----------------------------

def _matches(session: Session, actor: Actor, probe: DuplicateProbe, *, exclude_ids: set[int]) -> list[DuplicateMatch]:
    options: list[ColumnElement[bool]] = []
    email_key = canonical_email(probe.email)
    if email_key:
        options += _email_lookups(probe.email or email_key, email_key)
    if probe.phone:
        options.append(Lead.phone == probe.phone)
    key_of_company = _company_key(probe.company)
    if probe.last_name and key_of_company:
        # Same last name as stored (the (team_id, last_name, first_name) index) at the same
        # company; first names are compared here, with rapidfuzz.
        options.append((Lead.last_name == probe.last_name) & (company_key(Lead.company) == key_of_company))
    if not options:
        return []
    # One small query per condition: OR-ed together, SQLite would scan the team instead of
    # using each condition's index.
    found_rows: dict[int, Lead] = {}
    for option in options:
        stmt = select(Lead).where(visible_leads(actor), option).order_by(Lead.id).limit(MAX_BLOCK_IDS)
        found_rows.update((lead.id, lead) for lead in session.scalars(stmt) if lead.id not in exclude_ids)
    rows = [found_rows[i] for i in sorted(found_rows)]
    name = _full_name(probe.first_name, probe.last_name)
    found = []
    for row in rows:
        other = _person(row)
        reasons = _pair_reasons(email_key, probe.phone, name, key_of_company, other)
        if reasons:
            found.append(DuplicateMatch(lead=other.lead, reasons=reasons))
        if len(found) >= MAX_MATCHES:
            break
    return found


def _email_lookups(email: str, email_key: str) -> list[ColumnElement[bool]]:
    """Index-friendly conditions catching the usual variants of one address.

    Exact addresses (also the gmail/googlemail twin), written with or without the dots it was
    given with, and their "+tag" variants (a range on the (team_id, email) index). Gmail
    addresses dotted differently cannot be looked up by index; the team-wide grouping of
    `find_duplicates` finds those.
    """
    local, domain = email_key.rsplit("@", 1)
    as_given = email.lower().rsplit("@", 1)[0].split("+", 1)[0]
    domains = GMAIL_DOMAINS if domain in GMAIL_DOMAINS else (domain,)
    locals_ = sorted({local, as_given})
    conditions: list[ColumnElement[bool]] = [Lead.email.in_([f"{lp}@{d}" for lp in locals_ for d in domains])]
    # "+" then "," in ASCII: the range holds exactly the addresses starting with "local+".
    conditions += [(Lead.email >= f"{lp}+") & (Lead.email < f"{lp},") for lp in locals_]
    return conditions


def _pair_reasons(email_key: str | None, phone: str | None, name: str, company_key: str | None,
                  other: _Person) -> list[DuplicateReason]:
    reasons = []
    if email_key and email_key == other.email_key:
        reasons.append(DuplicateReason.EMAIL)
    same_phone = bool(phone) and phone == other.lead.phone
    if same_phone:
        reasons.append(DuplicateReason.PHONE)
    similar = _similar(name, other.name)
    if similar and company_key and company_key == other.company_key:
        reasons.append(DuplicateReason.NAME_COMPANY)
    if similar and same_phone:
        reasons.append(DuplicateReason.NAME_PHONE)
    return reasons


# --- team-wide: blocks in SQL, names compared inside a block ------------------------------------

def _section_wanted(kind: DuplicateReason, wanted: set[DuplicateReason]) -> bool:
    if kind is DuplicateReason.PHONE:
        return bool(wanted & {DuplicateReason.PHONE, DuplicateReason.NAME_PHONE})
    return kind in wanted


def _blocks(session: Session, actor: Actor, kind: DuplicateReason, after: str | None,
            limit: int) -> list[tuple[str, list[int]]]:
    """(key, lead ids) of the next blocks of leads sharing `kind`'s key, in key order."""
    dialect = session.get_bind().dialect.name
    if kind is DuplicateReason.EMAIL:
        return _email_blocks(session, actor, after, limit)
    if kind is DuplicateReason.PHONE:
        key, present = Lead.phone, Lead.phone.is_not(None)
    else:
        # The indexed expression itself, and a range on it (a blank company is no key): the walk
        # starts at the cursor's company in the (team_id, company key) index.
        key = company_key(Lead.company)
        present = key > ""
    ids = (func.string_agg(cast(Lead.id, String), literal(",")) if dialect == "postgresql"
           else func.group_concat(Lead.id, ","))
    # Grouped and ordered by the label: PostgreSQL would not match two copies of an expression
    # holding bound parameters.
    stmt = (select(key.label("k"), ids).where(visible_leads(actor), present)
            .group_by(text("k")).having(func.count() > 1).order_by(text("k")).limit(limit))
    if after is not None:
        stmt = stmt.where(key > after)
    return [(k, sorted(int(i) for i in str(joined).split(","))) for k, joined in session.execute(stmt)]


def _email_blocks(session: Session, actor: Actor, after: str | None, limit: int) -> list[tuple[str, list[int]]]:
    """Blocks of addresses reaching the same mailbox, without sorting every address of the team.

    Addresses are unique per team, so two of them can only share a mailbox if one is a variant
    (a "+tag", a dotted Gmail address, googlemail): group the variants by canonical address,
    then add the plain addresses equal to those keys through the (team_id, email) index.
    """
    dialect = session.get_bind().dialect.name
    key = _canonical_email_sql(dialect)
    variant = or_(Lead.email.like("%+%"), Lead.email.like("%@googlemail.com"), Lead.email.like("%.%@gmail.com"))
    ids = (func.string_agg(cast(Lead.id, String), literal(",")) if dialect == "postgresql"
           else func.group_concat(Lead.id, ","))
    stmt = (select(key.label("k"), ids).where(visible_leads(actor), Lead.email.is_not(None), variant)
            .group_by(text("k")).order_by(text("k")).limit(limit))
    if after is not None:
        stmt = stmt.where(key > after)
    variants = [(k, [int(i) for i in str(joined).split(",")]) for k, joined in session.execute(stmt)]
    plain: dict[str, int] = {}
    keys = [k for k, _ in variants]
    for start in range(0, len(keys), 1000):
        rows = session.execute(select(Lead.email, Lead.id).where(
            visible_leads(actor), Lead.email.in_(keys[start:start + 1000]))).all()
        plain.update((email, lead_id) for email, lead_id in rows)
    # One entry per key read, a lone variant too (the caller skips it): batches stay aligned.
    return [(k, sorted({*members, *([plain[k]] if k in plain else [])})) for k, members in variants]


def _canonical_email_sql(dialect: str) -> ColumnElement[str]:
    """`canonical_email` as an SQL expression (SQLite and PostgreSQL string functions)."""
    def pos(text: Any, sub: str) -> Any:
        return func.strpos(text, sub) if dialect == "postgresql" else func.instr(text, sub)

    at = pos(Lead.email, "@")
    local = func.substr(Lead.email, 1, at - 1)
    domain = func.substr(Lead.email, at + 1)
    plus = pos(local, "+")
    base = case((plus > 0, func.substr(local, 1, plus - 1)), else_=local)
    gmail = domain.in_(GMAIL_DOMAINS)
    canonical_local = case((gmail, func.replace(base, ".", "")), else_=base)
    canonical_domain = case((gmail, literal(GMAIL_DOMAINS[0])), else_=domain)
    return canonical_local + literal("@") + canonical_domain


def _scanned_before(kind: DuplicateReason, wanted: set[DuplicateReason]) -> set[DuplicateReason]:
    """The sections this query walks before `kind`'s: groups they showed are not repeated."""
    earlier = _SECTIONS[:_SECTIONS.index(kind)]
    return {section for section in earlier if _section_wanted(section, wanted)}


def _groups_of_block(kind: DuplicateReason, key: str, people: list[_Person], size: int, *,
                     scanned: set[DuplicateReason], dismissed: dict[int, set[int]]) -> list[DuplicateGroup]:
    if kind is DuplicateReason.EMAIL:
        groups = [_group(key, people, size, dismissed)]
    elif kind is DuplicateReason.PHONE:
        if DuplicateReason.EMAIL in scanned and _shared(p.email_key for p in people):
            return []  # already shown as an email group
        groups = [_group(key, people, size, dismissed)]
    else:
        groups = []
        for cluster in _name_clusters(people):
            if DuplicateReason.EMAIL in scanned and _shared(p.email_key for p in cluster):
                continue
            if DuplicateReason.PHONE in scanned and _shared(p.lead.phone for p in cluster):
                continue
            groups.append(_group(f"{key}|{cluster[0].lead.id}", cluster, len(cluster), dismissed))
    return [g for g in groups if g is not None]


def _shared(values: Iterable[str | None]) -> bool:
    distinct = set(values)
    return len(distinct) == 1 and None not in distinct


def _name_clusters(people: list[_Person]) -> list[list[_Person]]:
    """Connected sets of people whose names are similar (within one company block)."""
    buckets: dict[str, list[_Person]] = {"": people}
    if len(people) > NAME_SUBBLOCK:  # a big company: compare only people with the same initials
        buckets = {}
        for p in people:
            first, _, last = p.name.partition(" ")
            buckets.setdefault(f"{first[:1]}{last[:1]}", []).append(p)
    clusters = []
    for bucket in buckets.values():
        if len(bucket) > 1:
            clusters += [c for c in _connected(bucket) if len(c) > 1]
    return clusters


def _connected(bucket: list[_Person]) -> list[list[_Person]]:
    """Union-find over the pairs of similar names (rapidfuzz compares them all in C)."""
    scores = process.cdist([p.name for p in bucket], [p.name for p in bucket], scorer=fuzz.token_sort_ratio,
                           score_cutoff=NAME_SIMILARITY)
    parent = list(range(len(bucket)))
    for i, j in zip(*scores.nonzero(), strict=True):
        if i < j and bucket[i].name and bucket[j].name:
            parent[_root(parent, int(j))] = _root(parent, int(i))
    joined: dict[int, list[_Person]] = {}
    for i, p in enumerate(bucket):
        joined.setdefault(_root(parent, i), []).append(p)
    return list(joined.values())


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _group(key: str, people: list[_Person], size: int, dismissed: dict[int, set[int]]) -> DuplicateGroup | None:
    kept = _undismissed(people, dismissed)
    if len(kept) < 2:
        return None  # every pair of it was dismissed
    return DuplicateGroup(key=key, reasons=_group_reasons(kept), leads=[p.lead for p in kept[:MAX_GROUP_LEADS]],
                          size=size - (len(people) - len(kept)))


def _undismissed(people: list[_Person], dismissed: dict[int, set[int]]) -> list[_Person]:
    """The group less each lead dismissed against all its other leads.

    One rule for every group: once all of its pairs are dismissed, nothing is left of it; while
    one of a lead's pairs stands, the lead stays. The leads dismissed against fewer of the
    others come first (ties keep the group's order), so that dismissing the shown part of a
    bigger group brings its other leads into view.
    """
    if not dismissed:
        return people
    ids = {p.lead.id for p in people}
    against: dict[int, int] = {}
    for p in people:
        partners = dismissed.get(p.lead.id)
        against[p.lead.id] = len(partners & ids) if partners else 0
    if not any(against.values()):
        return people
    others = len(people) - 1
    return sorted((p for p in people if against[p.lead.id] < others), key=lambda p: against[p.lead.id])

def _group_reasons(people: Sequence[_Person]) -> list[DuplicateReason]:
    first = people[0]
    similar = all(_similar(first.name, p.name) for p in people[1:])
    reasons = []
    if first.email_key and all(p.email_key == first.email_key for p in people):
        reasons.append(DuplicateReason.EMAIL)
    same_phone = bool(first.lead.phone) and all(p.lead.phone == first.lead.phone for p in people)
    if same_phone:
        reasons.append(DuplicateReason.PHONE)
    if similar and first.company_key and all(p.company_key == first.company_key for p in people):
        reasons.append(DuplicateReason.NAME_COMPANY)
    if similar and same_phone:
        reasons.append(DuplicateReason.NAME_PHONE)
    return reasons


def _load(session: Session, actor: Actor, ids: Iterable[int]) -> dict[int, _Person]:
    wanted = sorted(ids)
    found: dict[int, _Person] = {}
    for start in range(0, len(wanted), 1000):  # bounded IN lists
        chunk = wanted[start:start + 1000]
        for lead in session.scalars(select(Lead).where(visible_leads(actor), Lead.id.in_(chunk))):
            found[lead.id] = _person(lead)
    return found


def lead_summary(lead: Lead) -> DuplicateLead:
    """The few fields that tell two leads apart (also the merge page's headers)."""
    return DuplicateLead(id=lead.id, first_name=lead.first_name, last_name=lead.last_name, email=lead.email,
                         phone=lead.phone, company=lead.company, status=lead.status,
                         assigned_to_id=lead.assigned_to_id, created_at=lead.created_at, updated_at=lead.updated_at)


def _person(lead: Lead) -> _Person:
    return _Person(
        lead=lead_summary(lead),
        email_key=canonical_email(lead.email), name=_full_name(lead.first_name, lead.last_name),
        company_key=_company_key(lead.company),
    )


def _full_name(first: str | None, last: str | None) -> str:
    return f"{(first or '').strip()} {(last or '').strip()}".strip().lower()


def _company_key(company: str | None) -> str | None:
    return (company or "").strip().lower() or None


def _similar(a: str, b: str) -> bool:
    return bool(a) and bool(b) and fuzz.token_sort_ratio(a, b) >= NAME_SIMILARITY


def _encode_cursor(section: int, after: str | None) -> str:
    return base64.urlsafe_b64encode(json.dumps([section, after]).encode()).decode()


def _decode_cursor(cursor: str | None) -> tuple[int, str | None]:
    if not cursor:
        return 0, None
    try:
        section, after = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if isinstance(section, int) and 0 <= section < len(_SECTIONS) and (after is None or isinstance(after, str)):
            return section, after
    except (ValueError, TypeError, binascii.Error):
        pass
    raise ValidationFailed("This list of duplicates is out of date; start again.", field="cursor")
