"""Validators for back-office input: GS1 GTIN, unified social credit code, uploaded images."""
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

GTIN_LENGTHS = (8, 12, 13, 14)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_PIXELS = 16_000_000
ALLOWED_IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")


def gtin_check_digit(body: str) -> int:
    """GS1 mod-10 check digit of the digits before it (weights 3,1,3,… from the right)."""
    total = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gtin_is_valid(value: str) -> bool:
    return value.isdigit() and len(value) in GTIN_LENGTHS and gtin_check_digit(value[:-1]) == int(value[-1])


def validate_gtin(value: str) -> None:
    if not gtin_is_valid(value):
        raise ValidationError(_("GTIN 须为 8、12、13 或 14 位数字，且校验位正确。"), code="invalid_gtin")


def uscc_is_valid(value: str) -> bool:
    """GB 32100-2015 unified social credit code (统一社会信用代码) with its check character."""
    value = value.upper()
    if len(value) != 18 or any(char not in _USCC_ALPHABET for char in value):
        return False
    total = sum(_USCC_ALPHABET.index(char) * weight for char, weight in zip(value[:17], _USCC_WEIGHTS))
    return _USCC_ALPHABET[(31 - total % 31) % 31] == value[17]


def validate_uscc(value: str) -> None:
    if not uscc_is_valid(value):
        raise ValidationError(_("统一社会信用代码须为 18 位，且校验位正确。"), code="invalid_uscc")


def validate_image_upload(upload) -> None:
    """Size, format and pixel-count limits for an image that Django's ImageField
    has already opened with Pillow (``upload.image``)."""
    if upload.size > MAX_IMAGE_BYTES:
        raise ValidationError(_("图片不能超过 2 MB。"), code="image_too_large")
    image = getattr(upload, "image", None)
    if image is None:
        return
    if image.format not in ALLOWED_IMAGE_FORMATS:
        raise ValidationError(_("只接受 JPEG、PNG 或 WebP 图片。"), code="image_format")
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(_("图片像素过多（上限 1600 万像素）。"), code="image_pixels")
