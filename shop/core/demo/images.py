"""Product pictures and brand logos drawn locally with Pillow (nothing is
downloaded). Chinese text needs a CJK font; when none is installed the
pictures are drawn without text."""
import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
]
FONT_DIRS = ["/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts")]
CJK_NAME_HINTS = ("wqy", "notosanscjk", "notoserifcjk", "sourcehan", "droidsansfallback")

PRODUCT_SIZE = 600
LOGO_SIZE = 320


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """The path of a CJK font on this system, or None."""
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    for folder in FONT_DIRS:
        root = Path(folder)
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            name = path.name.lower().replace("-", "").replace("_", "")
            if path.suffix.lower() in {".ttc", ".ttf", ".otf"} and any(hint in name for hint in CJK_NAME_HINTS):
                return str(path)
    return None


@lru_cache(maxsize=16)
def _font(size: int):
    path = cjk_font_path()
    return ImageFont.truetype(path, size) if path else None


def _lighter(colour, amount):
    return tuple(min(255, int(c + (255 - c) * amount)) for c in colour)


def _darker(colour, amount):
    return tuple(int(c * (1 - amount)) for c in colour)


def _centred_text(draw, text, centre_y, size, fill, max_width):
    font = _font(size)
    if font is None or not text:
        return
    while size > 18 and draw.textlength(text, font=font) > max_width:
        size -= 4
        font = _font(size)
    width = draw.textlength(text, font=font)
    draw.text(((PRODUCT_SIZE - width) / 2, centre_y - size / 2), text, font=font, fill=fill)


def product_image_bytes(*, title: str, subtitle: str, colour: tuple[int, int, int], glyph: str = "") -> bytes:
    """A 600×600 JPEG: a soft background in the category colour, a round
    badge with a glyph (柑, 茶, 米…), and the product's short name and
    brand in Chinese."""
    image = Image.new("RGB", (PRODUCT_SIZE, PRODUCT_SIZE), _lighter(colour, 0.82))
    draw = ImageDraw.Draw(image)
    draw.ellipse((120, 60, 480, 420), fill=_lighter(colour, 0.35), outline=colour, width=8)
    draw.ellipse((195, 135, 405, 345), fill=colour)
    _centred_text(draw, glyph, 232, 120, _lighter(colour, 0.9), 200)
    draw.rectangle((0, 470, PRODUCT_SIZE, PRODUCT_SIZE), fill=colour)
    _centred_text(draw, title, 505, 48, (255, 255, 255), 560)
    _centred_text(draw, subtitle, 565, 28, _lighter(colour, 0.85), 560)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80, optimize=True)
    return buffer.getvalue()


def brand_logo_bytes(*, name: str, colour: tuple[int, int, int]) -> bytes:
    """A square PNG seal-style logo: coloured roundel with the brand name."""
    image = Image.new("RGB", (LOGO_SIZE, LOGO_SIZE), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, LOGO_SIZE - 10, LOGO_SIZE - 10), fill=colour)
    draw.ellipse((28, 28, LOGO_SIZE - 28, LOGO_SIZE - 28), outline=_lighter(colour, 0.7), width=4)
    font_size = 54 if len(name) <= 4 else 46
    font = _font(font_size)
    if font is not None:
        lines = [name] if len(name) <= 4 else [name[: len(name) // 2], name[len(name) // 2:]]
        total = len(lines) * font_size * 1.15
        for index, text in enumerate(lines):
            width = draw.textlength(text, font=font)
            y = (LOGO_SIZE - total) / 2 + index * font_size * 1.15
            draw.text(((LOGO_SIZE - width) / 2, y), text, font=font, fill=(255, 255, 255))
    else:
        draw.ellipse((LOGO_SIZE / 2 - 30, LOGO_SIZE / 2 - 30, LOGO_SIZE / 2 + 30, LOGO_SIZE / 2 + 30),
                     fill=_darker(colour, 0.3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def cover_image_bytes(*, title: str, colour: tuple[int, int, int]) -> bytes:
    """A 1200×630 JPEG cover for CMS stories."""
    width, height = 1200, 630
    image = Image.new("RGB", (width, height), _lighter(colour, 0.75))
    draw = ImageDraw.Draw(image)
    for index in range(6):
        draw.ellipse((-200 + index * 260, 380 - (index % 2) * 60, 200 + index * 260, 900), fill=_lighter(colour, 0.2 + index * 0.08))
    font = _font(64)
    if font is not None:
        text_width = draw.textlength(title, font=font)
        draw.text(((width - text_width) / 2, 150), title, font=font, fill=_darker(colour, 0.45))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80, optimize=True)
    return buffer.getvalue()
