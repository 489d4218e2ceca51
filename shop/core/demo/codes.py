"""Check digits of the identifiers the demo makes up: resident ID numbers
(GB 11643), GTIN-13 (GS1) and unified social credit codes (GB 32100)."""

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number(area_code: str, birth: str, serial: int) -> str:
    """An 18-character ID number: 6-digit area code, YYYYMMDD, 3-digit serial, check digit."""
    body = f"{area_code}{birth}{serial % 1000:03d}"
    return body + _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS)) % 11]


def gtin13(first12: str) -> str:
    """GTIN-13 from its first 12 digits: weights 1,3,1,3… from the left."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def gtin_is_valid(gtin: str) -> bool:
    return len(gtin) == 13 and gtin.isdigit() and gtin13(gtin[:12]) == gtin


_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def organisation_code(first8: str) -> str:
    """9-character organisation code (GB 11714) from 8 digits or capital letters."""
    check = 11 - sum(int(c, 36) * w for c, w in zip(first8, _ORG_WEIGHTS)) % 11
    return first8 + {10: "X", 11: "0"}.get(check, str(check))


def unified_social_credit_code(registrar: str, area_code: str, first8: str) -> str:
    """18-character code: 2-character registrar/kind (91 company, 93 co-operative,
    92 individual business), 6-digit area, organisation code, check character."""
    body = registrar + area_code + organisation_code(first8)
    check = (31 - sum(_USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS)) % 31) % 31
    return body + _USCC_CHARS[check]
