"""The demo brokerages and their sign-in accounts (constants only; no I/O).

The sign-in page lists `DEMO_ACCOUNTS`, all sharing `DEMO_PASSWORD`. `seed_demo` creates every
account below; `EXTRA_AGENTS` give the main brokerage a realistic bench of agents, and the second
team exists so that tenant isolation is visible in the demo (its leads never show up for
Harbor & Oak users).
"""

from __future__ import annotations

from dataclasses import dataclass

from crm.enums import SubscriptionTier, SystemRole, TeamRole

DEMO_PASSWORD = "demo-password-2026"


@dataclass(frozen=True, slots=True)
class DemoTeam:
    name: str
    slug: str
    tier: SubscriptionTier
    timezone: str
    email_domain: str
    office_address: str
    office_phone: str


@dataclass(frozen=True, slots=True)
class DemoAccount:
    email: str
    name: str
    team_role: TeamRole
    system_role: SystemRole = SystemRole.USER
    team_slug: str = "harbor-oak"


HARBOR_OAK = DemoTeam(
    name="Harbor & Oak Realty",
    slug="harbor-oak",
    tier=SubscriptionTier.PROFESSIONAL,
    timezone="America/New_York",
    email_domain="harborandoak.com",
    office_address="120 Atlantic Ave, Boston, MA 02110",
    office_phone="+16175550100",
)
SUMMIT_PEAK = DemoTeam(
    name="Summit Peak Homes",
    slug="summit-peak",
    tier=SubscriptionTier.STARTER,
    timezone="America/Denver",
    email_domain="summitpeak.com",
    office_address="1550 Larimer St, Denver, CO 80202",
    office_phone="+13035550100",
)
DEMO_TEAMS: tuple[DemoTeam, ...] = (HARBOR_OAK, SUMMIT_PEAK)

# The three accounts shown on the sign-in page (all on Harbor & Oak Realty).
DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("owner@harborandoak.com", "Olivia Owens", TeamRole.OWNER, SystemRole.ADMIN),
    DemoAccount("manager@harborandoak.com", "Marcus Reed", TeamRole.MANAGER),
    DemoAccount("agent@harborandoak.com", "Ava Martinez", TeamRole.MEMBER),
)

# More agents of Harbor & Oak; they can sign in with DEMO_PASSWORD too but are not advertised.
EXTRA_AGENTS: tuple[DemoAccount, ...] = (
    DemoAccount("daniel.kim@harborandoak.com", "Daniel Kim", TeamRole.MEMBER),
    DemoAccount("priya.shah@harborandoak.com", "Priya Shah", TeamRole.MEMBER),
    DemoAccount("jordan.brooks@harborandoak.com", "Jordan Brooks", TeamRole.MEMBER),
    DemoAccount("sofia.alvarez@harborandoak.com", "Sofia Alvarez", TeamRole.MEMBER),
    DemoAccount("ethan.walsh@harborandoak.com", "Ethan Walsh", TeamRole.MEMBER),
    DemoAccount("grace.liu@harborandoak.com", "Grace Liu", TeamRole.MEMBER),
)

# The second, small brokerage.
SUMMIT_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("owner@summitpeak.com", "Samuel Carter", TeamRole.OWNER, team_slug="summit-peak"),
    DemoAccount("agent@summitpeak.com", "Nina Patel", TeamRole.MEMBER, team_slug="summit-peak"),
)

ALL_DEMO_USERS: tuple[DemoAccount, ...] = DEMO_ACCOUNTS + EXTRA_AGENTS + SUMMIT_ACCOUNTS
