"""Column mapping for lead imports: targets, header auto-matching, forgiving enum values.

Exports of other CRMs and lead sources name the same things differently ("E-mail Address",
"Mobile", "Lead Source", "Stage"…); headers are compared after folding case and punctuation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from crm.enums import LeadSource, LeadStatus, LeadType

CUSTOM_PREFIX = "custom:"
_E = TypeVar("_E", LeadSource, LeadStatus, LeadType)

# Target -> label shown in the mapping editor (the order is the editor's order).
TARGETS: dict[str, str] = {
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Full name (split into first and last)",
    "email": "Email",
    "phone": "Phone",
    "company": "Company",
    "position": "Position",
    "source": "Lead source",
    "status": "Status",
    "lead_type": "Lead type",
    "value": "Price / value",
    "stage": "Stage (free text)",
    "city": "City",
    "state": "State",
    "zip_code": "ZIP / postal code",
    "tags": "Tags (separated by , or ;)",
    "assigned_to": "Assigned to (agent email or name)",
}

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "firstname", "first", "given name", "forename", "fname", "contact first name",
                   "first name s", "buyer first name", "lead first name"),
    "last_name": ("last name", "lastname", "last", "surname", "family name", "lname", "contact last name",
                  "buyer last name", "lead last name"),
    "full_name": ("full name", "name", "contact", "contact name", "lead name", "client name", "fullname",
                  "display name", "customer name", "buyer name", "person"),
    "email": ("email", "e mail", "email address", "e mail address", "emailaddress", "primary email",
              "email 1", "work email", "personal email", "mail", "contact email", "lead email"),
    "phone": ("phone", "phone number", "mobile", "mobile phone", "cell", "cell phone", "cellphone", "telephone",
              "tel", "primary phone", "phone 1", "mobile number", "home phone", "work phone", "contact phone",
              "phone mobile", "lead phone"),
    "company": ("company", "brokerage", "company name", "organization", "organisation", "business", "employer",
                "account", "account name"),
    "position": ("position", "title", "job title", "role"),
    "source": ("lead source", "source", "leadsource", "origin", "channel", "lead origin", "source name"),
    "status": ("status", "stage", "lead status", "pipeline stage", "lead stage", "deal stage"),
    "lead_type": ("lead type", "type", "leadtype", "client type", "contact type", "buyer seller"),
    "value": ("price", "budget", "value", "deal value", "price range", "max price", "budget max", "home value",
              "amount", "expected value", "estimated value", "list price"),
    "city": ("city", "town", "address city", "mailing city"),
    "state": ("state", "province", "region", "state province", "address state", "mailing state", "st"),
    "zip_code": ("zip", "zip code", "zipcode", "postal code", "postcode", "post code", "postal",
                 "address zip", "mailing zip"),
    "tags": ("tags", "tag", "labels", "label", "groups", "group", "lists"),
    "assigned_to": ("assigned to", "assignee", "agent", "owner", "assigned agent", "lead owner", "agent email",
                    "assigned user", "contact owner", "realtor"),
}


def fold(text: str) -> str:
    """Lower-case words only: "E-Mail_Address " -> "e mail address"."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


_BY_HEADER = {syn: target for target, syns in _SYNONYMS.items() for syn in syns}


def suggest_mapping(headers: Sequence[str], custom: Iterable[tuple[str, str]] = ()) -> dict[str, str | None]:
    """Guess a target for each header (None: not imported); each target is used once.

    `custom` lists the team's custom fields as (key, label); a header equal to either maps
    to "custom:<key>". Custom fields are checked first: a team that defined "Budget" wants it.
    """
    by_custom = {}
    for key, label in custom:
        by_custom.setdefault(fold(key), CUSTOM_PREFIX + key)
        by_custom.setdefault(fold(label), CUSTOM_PREFIX + key)
    used: set[str] = set()
    mapping: dict[str, str | None] = {}
    for header in headers:
        folded = fold(header)
        target = by_custom.get(folded) or _BY_HEADER.get(folded) or _BY_HEADER.get(folded.replace(" ", ""))
        if target in used:
            target = None
        if target:
            used.add(target)
        mapping[header] = target
    # "Name" next to "First name"/"Last name" is the same person twice: keep the split columns.
    if "full_name" in used and {"first_name", "last_name"} & used:
        mapping = {h: (None if t == "full_name" else t) for h, t in mapping.items()}
    return mapping


def unique_headers(header: Sequence[str]) -> list[str]:
    """Header names made unique and non-empty ("Phone", "Phone" -> "Phone", "Phone (2)")."""
    seen: dict[str, int] = {}
    result = []
    for i, name in enumerate(header, 1):
        name = name.strip() or f"Column {i}"
        n = seen.get(name, 0) + 1
        seen[name] = n
        result.append(name if n == 1 else f"{name} ({n})")
    return result


# --- forgiving values -------------------------------------------------------------------------

_SOURCES: dict[str, LeadSource] = {
    "zillow": LeadSource.ZILLOW, "zillow com": LeadSource.ZILLOW, "trulia": LeadSource.ZILLOW,
    "zillow premier agent": LeadSource.ZILLOW, "zpa": LeadSource.ZILLOW,
    "realtor": LeadSource.REALTOR_COM, "realtor com": LeadSource.REALTOR_COM, "realtorcom": LeadSource.REALTOR_COM,
    "move": LeadSource.REALTOR_COM, "website": LeadSource.WEBSITE, "web": LeadSource.WEBSITE,
    "web site": LeadSource.WEBSITE, "site": LeadSource.WEBSITE, "idx": LeadSource.WEBSITE,
    "web form": LeadSource.WEBSITE, "webform": LeadSource.WEBSITE, "landing page": LeadSource.WEBSITE,
    "our website": LeadSource.WEBSITE, "internet": LeadSource.WEBSITE, "online": LeadSource.WEBSITE,
    "referral": LeadSource.REFERRAL, "referred": LeadSource.REFERRAL, "referal": LeadSource.REFERRAL,
    "sphere": LeadSource.REFERRAL, "sphere of influence": LeadSource.REFERRAL, "soi": LeadSource.REFERRAL,
    "friend": LeadSource.REFERRAL, "word of mouth": LeadSource.REFERRAL, "agent referral": LeadSource.REFERRAL,
    "open house": LeadSource.OPEN_HOUSE, "openhouse": LeadSource.OPEN_HOUSE, "oh": LeadSource.OPEN_HOUSE,
    "social": LeadSource.SOCIAL, "social media": LeadSource.SOCIAL, "facebook": LeadSource.SOCIAL,
    "fb": LeadSource.SOCIAL, "instagram": LeadSource.SOCIAL, "ig": LeadSource.SOCIAL,
    "linkedin": LeadSource.SOCIAL, "tiktok": LeadSource.SOCIAL, "twitter": LeadSource.SOCIAL,
    "x": LeadSource.SOCIAL, "youtube": LeadSource.SOCIAL, "facebook ads": LeadSource.SOCIAL,
    "sign call": LeadSource.SIGN_CALL, "sign": LeadSource.SIGN_CALL, "yard sign": LeadSource.SIGN_CALL,
    "sign calls": LeadSource.SIGN_CALL, "past client": LeadSource.PAST_CLIENT,
    "past clients": LeadSource.PAST_CLIENT, "repeat client": LeadSource.PAST_CLIENT,
    "previous client": LeadSource.PAST_CLIENT, "cold outreach": LeadSource.COLD_OUTREACH,
    "cold call": LeadSource.COLD_OUTREACH, "cold calling": LeadSource.COLD_OUTREACH,
    "prospecting": LeadSource.COLD_OUTREACH, "door knocking": LeadSource.COLD_OUTREACH,
    "farming": LeadSource.COLD_OUTREACH, "expired": LeadSource.COLD_OUTREACH, "fsbo": LeadSource.COLD_OUTREACH,
    "other": LeadSource.OTHER, "unknown": LeadSource.OTHER,
}
_SOURCE_WORDS = (("zillow", LeadSource.ZILLOW), ("realtor", LeadSource.REALTOR_COM),
                 ("facebook", LeadSource.SOCIAL), ("instagram", LeadSource.SOCIAL),
                 ("referr", LeadSource.REFERRAL), ("open house", LeadSource.OPEN_HOUSE),
                 ("website", LeadSource.WEBSITE), ("past client", LeadSource.PAST_CLIENT))

_STATUSES: dict[str, LeadStatus] = {
    "new": LeadStatus.NEW, "new lead": LeadStatus.NEW, "open": LeadStatus.NEW, "lead": LeadStatus.NEW,
    "unworked": LeadStatus.NEW, "contacted": LeadStatus.CONTACTED, "attempted contact": LeadStatus.CONTACTED,
    "attempting contact": LeadStatus.CONTACTED, "in contact": LeadStatus.CONTACTED,
    "working": LeadStatus.CONTACTED, "nurture": LeadStatus.CONTACTED, "nurturing": LeadStatus.CONTACTED,
    "engaged": LeadStatus.CONTACTED, "qualified": LeadStatus.QUALIFIED, "hot": LeadStatus.QUALIFIED,
    "active": LeadStatus.QUALIFIED, "active client": LeadStatus.QUALIFIED,
    "appointment set": LeadStatus.QUALIFIED, "met": LeadStatus.QUALIFIED, "proposal": LeadStatus.PROPOSAL,
    "showing": LeadStatus.PROPOSAL, "showings": LeadStatus.PROPOSAL, "offer": LeadStatus.PROPOSAL,
    "offer made": LeadStatus.PROPOSAL, "listing presentation": LeadStatus.PROPOSAL,
    "negotiation": LeadStatus.NEGOTIATION, "negotiating": LeadStatus.NEGOTIATION,
    "under contract": LeadStatus.NEGOTIATION, "pending": LeadStatus.NEGOTIATION,
    "in escrow": LeadStatus.NEGOTIATION, "escrow": LeadStatus.NEGOTIATION, "won": LeadStatus.WON,
    "closed": LeadStatus.WON, "closed won": LeadStatus.WON, "sold": LeadStatus.WON, "client": LeadStatus.WON,
    "past client": LeadStatus.WON, "lost": LeadStatus.LOST, "closed lost": LeadStatus.LOST,
    "dead": LeadStatus.LOST, "trash": LeadStatus.LOST, "junk": LeadStatus.LOST,
    "not interested": LeadStatus.LOST, "archived": LeadStatus.LOST, "unqualified": LeadStatus.LOST,
}

_TYPES: dict[str, LeadType] = {
    "buyer": LeadType.BUYER, "buy": LeadType.BUYER, "buying": LeadType.BUYER, "purchase": LeadType.BUYER,
    "home buyer": LeadType.BUYER, "seller": LeadType.SELLER, "sell": LeadType.SELLER,
    "selling": LeadType.SELLER, "listing": LeadType.SELLER, "home seller": LeadType.SELLER,
    "buyer seller": LeadType.BUYER_SELLER, "buyer and seller": LeadType.BUYER_SELLER,
    "both": LeadType.BUYER_SELLER, "seller buyer": LeadType.BUYER_SELLER,
    "renter": LeadType.RENTER, "rent": LeadType.RENTER, "rental": LeadType.RENTER,
    "tenant": LeadType.RENTER, "lease": LeadType.RENTER, "investor": LeadType.INVESTOR,
    "investment": LeadType.INVESTOR, "invest": LeadType.INVESTOR,
}


def parse_source(text: str) -> LeadSource | None:
    """"Zillow", "zillow.com", "Facebook Ads" -> a LeadSource; None when not recognised."""
    folded = fold(text)
    found = _SOURCES.get(folded) or _enum_value(LeadSource, folded)
    if found is None:
        found = next((source for word, source in _SOURCE_WORDS if word in folded), None)
    return found


def parse_status(text: str) -> LeadStatus | None:
    folded = fold(text)
    return _STATUSES.get(folded) or _enum_value(LeadStatus, folded)


def parse_lead_type(text: str) -> LeadType | None:
    folded = fold(text.replace("&", " and ").replace("/", " "))
    return _TYPES.get(folded) or _enum_value(LeadType, folded)


def _enum_value(enum: type[_E], folded: str) -> _E | None:
    try:
        return enum(folded.replace(" ", "_").upper())
    except ValueError:
        return None


_MONEY_JUNK = re.compile(r"[\s$€£,]|usd", re.I)
MAX_VALUE = Decimal("999999999999.99")


def parse_value(text: str) -> Decimal | None:
    """"$450,000", "450k", "1.2M", "450000.00" -> Decimal; None when it is not a price."""
    cleaned = _MONEY_JUNK.sub("", text).lower()
    factor = 1
    if cleaned.endswith("k"):
        factor, cleaned = 1000, cleaned[:-1]
    elif cleaned.endswith(("m", "mm")):
        factor, cleaned = 1_000_000, cleaned.rstrip("m")
    try:
        value = (Decimal(cleaned) * factor).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value < 0 or value > MAX_VALUE:
        return None
    return value


_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "mx", "prof"})


def split_full_name(text: str) -> tuple[str, str]:
    """"John Smith" -> (John, Smith); "Smith, John" -> (John, Smith); "Dr. Ann Lee Jr" keeps "Lee Jr"."""
    if "," in text:
        last, _, first = text.partition(",")
        return first.strip(), last.strip()
    words = text.split()
    if len(words) > 1 and fold(words[0]) in _HONORIFICS:
        words = words[1:]
    if not words:
        return "", ""
    return words[0], " ".join(words[1:])


def split_tags(text: str) -> list[str]:
    """"vip; buyer, 2024" -> ["vip", "buyer", "2024"] (trimmed, no empties, no repeats)."""
    seen: dict[str, None] = {}
    for part in re.split(r"[;,]", text):
        name = part.strip()[:64]
        if name:
            seen.setdefault(name, None)
    return list(seen)
