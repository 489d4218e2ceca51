"""Masking of personal data for operator screens: enough to recognise a record,
never enough to reconstruct it."""


def mask_id_number(value: str) -> str:
    """'441403199001011234' -> '4414**********1234'."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str) -> str:
    """'李春梅' -> '李**'."""
    if not value:
        return ""
    return value[0] + "*" * max(len(value) - 1, 1)


def mask_phone(value: str) -> str:
    """'13812345678' -> '138****5678'."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
