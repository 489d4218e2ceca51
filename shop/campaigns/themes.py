"""Campaign themes: the folders of ``themes/``.

A theme is a folder ``themes/<name>/`` with a ``theme.json`` manifest::

    {"name": "年货节（红金）", "name_en": "New Year Goods Festival", "css": "css/theme.css"}

* ``css`` (optional) is a file under the theme's ``static/`` folder. The settings
  serve every theme's ``static/`` under ``themes/<name>/`` (STATICFILES_DIRS
  with a prefix), so the file above is the static path
  ``themes/nianhuo/css/theme.css``. While a published campaign with the theme is
  live the storefront layout loads it after ``xiangpin.css``: it overrides the
  storefront's CSS custom properties (``--xp-green``, ``--xp-orange`` …).
* ``templates/campaigns/themes/<name>/banner.html`` (optional) is the theme's
  campaign banner; without one the storefront uses ``campaigns/banner.html``.
  A theme's templates folder is in TEMPLATES DIRS, so it must hold nothing but
  ``campaigns/themes/<name>/`` (it would otherwise override the default theme's
  templates for every page; ``tests/campaigns/test_themes.py`` checks this).

``default`` is the store's own look (no extra CSS)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import get_language

DEFAULT_THEME = "default"
MANIFEST = "theme.json"
DEFAULT_BANNER = "campaigns/banner.html"


@dataclass(frozen=True)
class Theme:
    slug: str
    name: str
    name_en: str
    css: str  # static path, "" for none
    banner_template: str

    @property
    def label(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name

    def __str__(self):
        return self.label


def themes_dir() -> Path:
    return Path(getattr(settings, "THEMES_DIR", Path(settings.BASE_DIR) / "themes"))


def _load(folder: Path) -> Theme | None:
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return None
    data = json.loads(manifest.read_text(encoding="utf-8"))
    slug = folder.name
    css = data.get("css") or ""
    if css and not (folder / "static" / css).is_file():
        raise ValueError(f"theme {slug}: {css} is not a file under {folder / 'static'}")
    banner = f"campaigns/themes/{slug}/banner.html"
    has_banner = (folder / "templates" / banner).is_file()
    return Theme(
        slug=slug,
        name=data.get("name") or slug,
        name_en=data.get("name_en") or "",
        css=f"themes/{slug}/{css}" if css and slug != DEFAULT_THEME else "",
        banner_template=banner if has_banner else DEFAULT_BANNER,
    )


@lru_cache(maxsize=1)
def _themes(directory: str) -> dict[str, Theme]:
    folders = sorted(Path(directory).iterdir(), key=lambda path: (path.name != DEFAULT_THEME, path.name))
    loaded = (_load(folder) for folder in folders if folder.is_dir())
    return {theme.slug: theme for theme in loaded if theme is not None}


def available_themes() -> dict[str, Theme]:
    """{slug: Theme}, the default theme first, then by folder name."""
    return _themes(str(themes_dir()))


def get_theme(slug: str) -> Theme | None:
    return available_themes().get(slug)


def theme_choices() -> list[tuple[str, str]]:
    return [(theme.slug, theme.label) for theme in available_themes().values()]


def campaign_theme_folders(base: Path) -> list[str]:
    """The campaign theme folders under ``base`` (every folder with a manifest
    except ``default``), for the settings' TEMPLATES DIRS and STATICFILES_DIRS.
    Plain pathlib: settings call it before Django is set up."""
    return sorted(
        path.name for path in base.iterdir()
        if path.is_dir() and path.name != DEFAULT_THEME and (path / MANIFEST).is_file()
    )
