"""Pairs of leads marked "not duplicates", and the index the same-company duplicate pass walks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from crm.orm.base import Base, BigId, created_at_col, fk, int_pk, team_fk
from crm.orm.leads import Lead


class _CompanyKey(FunctionElement[str]):
    """lower(trim(company)): the company two leads must share to be compared by name."""

    type = String()
    name = "company_key"
    inherit_cache = True


@compiles(_CompanyKey)
def _company_key_sql(element: _CompanyKey, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower(trim({compiler.process(element.clauses, **kw)}))"


@compiles(_CompanyKey, "postgresql")
def _company_key_postgresql(element: _CompanyKey, compiler: SQLCompiler, **kw: Any) -> str:
    # The same function; spelled the way PostgreSQL prints the index back, so that `alembic
    # check` compares equal texts (trim(x) comes back as TRIM(BOTH FROM x)).
    return f"lower(TRIM(BOTH FROM {compiler.process(element.clauses, **kw)}))"


def company_key(company: Any) -> ColumnElement[str]:
    """The SQL key of a company (also the indexed expression: queries must use this one to match it)."""
    return _CompanyKey(company)


# Walking this index in key order from the cursor's company reads the "similar name, same
# company" blocks one after the other, instead of grouping the whole team at every call.
# assigned_to_id comes last so that an agent's `assigned_to_id = me OR IS NULL` is read from the
# index too. It indexes the leads table but lives here, with the only code that reads it (an
# Index of table-bound columns attaches itself to their table).
COMPANY_KEY_INDEX = Index("ix_leads_team_id_company_key", Lead.team_id, company_key(Lead.company),
                          Lead.assigned_to_id)


class DuplicateDismissal(Base):
    """Two leads of a team that someone judged to be different people: never suggested together again.

    A pair is stored once, smaller id first. A lead id names one lead of one team, so the pair
    alone is the unique key; `team_id` scopes every read (and the manager's list) like any other
    team row. Both leads cascade: a deleted lead takes its dismissals with it.
    """

    __tablename__ = "duplicate_dismissals"
    __table_args__ = (
        # Also the lookup of a group's pairs (lead_id_low IN the group) and the low side's cascade.
        UniqueConstraint("lead_id_low", "lead_id_high"),
        CheckConstraint("lead_id_low < lead_id_high", name="ordered_pair"),
        Index("ix_duplicate_dismissals_team_id_id", "team_id", "id"),  # the list, newest first
    )

    id: Mapped[int_pk]
    team_id: Mapped[int] = team_fk()
    lead_id_low: Mapped[int] = mapped_column(BigId, ForeignKey("leads.id", ondelete="CASCADE"))
    # Indexed for the other side's lookups ("dismissed against lead X") and its cascade.
    lead_id_high: Mapped[int] = fk("leads.id", ondelete="CASCADE", index=True)
    dismissed_by_id: Mapped[int | None] = fk("users.id", ondelete="SET NULL", nullable=True, index=True)
    created_at: Mapped[created_at_col]
