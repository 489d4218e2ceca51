"""Every text the demo publishes (brand stories, CMS pages, subject names and
contacts, product texts, place names). Fake household names that occur in it
are skipped, so a privacy check that looks for household names on public
pages never trips over a coincidence."""
from functools import lru_cache

from . import cms_content, regions_data
from .accounts import ACCOUNTS
from .brands_data import BRANDS
from .points_data import URBAN_POINTS
from .subjects_data import SUBJECTS


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


@lru_cache(maxsize=1)
def public_corpus() -> str:
    sources = [
        BRANDS, SUBJECTS, URBAN_POINTS, regions_data.ALL_CITIES, regions_data.TOWNSHIPS,
        list(regions_data.KNOWN_VILLAGES.values()),
        [cms_content.HOME, cms_content.ABOUT, cms_content.STORY_INDEX, cms_content.STORIES],
        [(a.last_name + a.first_name, a.scope) for a in ACCOUNTS],
    ]
    return "\n".join(text for source in sources for text in _strings(source))


def is_public(text: str) -> bool:
    return text in public_corpus()
