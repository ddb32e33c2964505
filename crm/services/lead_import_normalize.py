"""Email and phone normalisation for imports: exact fast paths in front of the schema validators.

`crm.schemas.common` normalises an email with email-validator (~35 µs) and a phone with
phonenumbers (~35 µs): 70 s of CPU per million rows, more than the whole database insert.
The common shapes (a plain ASCII address; a 10-digit US number written in the usual ways) are
decided here with a few compiled regular expressions, giving the same answer the validators
give (tests/services/test_lead_import_normalize.py compares both on generated inputs); anything
else, and every rejection, goes through the validators themselves, so error messages and edge
cases stay theirs.
"""

from __future__ import annotations

import re

import email_validator
import phonenumbers
from phonenumbers import PhoneMetadata

from crm.schemas.common import _normalize_email, _normalize_phone

# RFC 5322 dot-atom local part in ASCII, and LDH host labels with an alphabetic TLD. Labels
# containing "--" (Punycode, or the reserved "ab--" form) are left to email-validator.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_SIMPLE_EMAIL = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@((?:{_LABEL}\.)+([A-Za-z]{{2,63}}))")
_SPECIAL_USE = frozenset(email_validator.SPECIAL_USE_DOMAIN_NAMES)

# "(415) 555-0123", "415.555.0123", "+1 415-555-0123", "1 (415) 5550123", "4155550123"…
_SIMPLE_US_PHONE = re.compile(r"(?:\+?1[ .\-]?)?\(?([2-9]\d\d)\)?[ .\-]?(\d{3})[ .\-]?(\d{4})")


def _us_validity_pattern() -> re.Pattern[str] | None:
    """One regex equal to phonenumbers' "is this a valid US number" for 10-digit national numbers.

    US comes first among the +1 regions and has no leading-digits rule, so a number whose type
    for US is known is valid (phonenumbers.is_valid_number); that type test is: the general
    pattern matches and one of the type patterns (whose possible lengths allow 10) matches.
    """
    meta = PhoneMetadata.metadata_for_region("US", None)
    if meta is None or meta.leading_digits is not None or meta.general_desc is None:
        return None
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(1, ())
    if not regions or regions[0] != "US":
        return None
    descs = (meta.premium_rate, meta.toll_free, meta.shared_cost, meta.voip, meta.personal_number,
             meta.pager, meta.uan, meta.voicemail, meta.fixed_line, meta.mobile)
    types = [d.national_number_pattern for d in descs
             if d is not None and d.national_number_pattern
             and (not d.possible_length or 10 in d.possible_length)]
    general = meta.general_desc
    if not types or not general.national_number_pattern or (general.possible_length
                                                              and 10 not in general.possible_length):
        return None
    return re.compile(rf"(?=(?:{general.national_number_pattern})$)(?:{'|'.join(f'(?:{t})' for t in types)})$")


_US_VALID = _us_validity_pattern()


def normalize_email(value: str) -> str:
    """Lower-cased, validated email; raises ValueError like `crm.schemas.common` (same result)."""
    if len(value) <= 254:
        m = _SIMPLE_EMAIL.fullmatch(value)
        if m is not None and len(m.group(1)) <= 64 and "--" not in m.group(2) \
                and m.group(3).lower() not in _SPECIAL_USE:
            return value.lower()
    return _normalize_email(value)


def normalize_phone(value: str) -> str:
    """E.164 phone (default region US); raises ValueError like `crm.schemas.common` (same result)."""
    if _US_VALID is not None:
        m = _SIMPLE_US_PHONE.fullmatch(value)
        if m is not None:
            national = m.group(1) + m.group(2) + m.group(3)
            if _US_VALID.match(national):
                return "+1" + national
    return _normalize_phone(value)
