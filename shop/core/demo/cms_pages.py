"""Seed the Wagtail pages: the home page as the default site's root (replacing
Wagtail's "Welcome" page), the about page, and the stories with cover images."""
import json
from io import BytesIO

from django.contrib.contenttypes.models import ContentType
from django.core.files.images import ImageFile
from django.db import transaction
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from cms.models import ContentPage, HomePage, StoryIndexPage, StoryPage

from . import cms_content as content
from . import images

SITE_HOSTNAME = "localhost"
SITE_PORT = 80


def _body(blocks) -> str:
    return json.dumps([{"type": block_type, "value": value} for block_type, value in blocks])


def _paragraphs(paragraphs):
    return [("paragraph", html) for html in paragraphs]


def _add_child(parent, page):
    parent.add_child(instance=page)
    page.save_revision(log_action=False).publish(log_action=False)
    return page


def _cover_image(slug, title, cover_text, colour):
    Image = get_image_model()
    image = Image.objects.filter(title=title).first()
    if image is None:
        data = images.cover_image_bytes(title=cover_text, colour=colour)
        image = Image(title=title)
        image.file = ImageFile(BytesIO(data), name=f"story-{slug}.jpg")
        image.save()
    return image


def ensure_home_page() -> tuple[HomePage, bool]:
    home = HomePage.objects.first()
    if home is not None:
        return home, False
    root = Page.get_first_root_node()
    home = HomePage(
        title=content.HOME["title"], slug=content.HOME["slug"], hero_title=content.HOME["hero_title"],
        hero_text=content.HOME["hero_text"],
        body=_body([("paragraph", content.HOME["intro"])] + content.HOME["blocks"]),
    )
    return _add_child(root, home), True


def ensure_default_site(home: HomePage) -> None:
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname=SITE_HOSTNAME, port=SITE_PORT, root_page=home, is_default_site=True,
                            site_name=content.HOME["title"])
        return
    wanted = {"hostname": SITE_HOSTNAME, "port": SITE_PORT, "root_page_id": home.pk, "site_name": content.HOME["title"]}
    if any(getattr(site, field) != value for field, value in wanted.items()):
        for field, value in wanted.items():
            setattr(site, field, value)
        site.save()


def remove_welcome_page(home: HomePage) -> int:
    """Wagtail's install creates a plain Page ("Welcome to your new Wagtail site!") under the root."""
    plain = ContentType.objects.get_for_model(Page)
    removed = 0
    for page in Page.objects.filter(depth=2, content_type=plain).exclude(pk=home.pk):
        if not Site.objects.filter(root_page=page).exists() and page.numchild == 0:
            page.delete()
            removed += 1
    return removed


def ensure_about_page(home) -> bool:
    if ContentPage.objects.child_of(home).filter(slug=content.ABOUT["slug"]).exists():
        return False
    _add_child(home, ContentPage(
        title=content.ABOUT["title"], slug=content.ABOUT["slug"], intro=content.ABOUT["intro"],
        body=_body(_paragraphs(content.ABOUT["paragraphs"])),
    ))
    return True


def ensure_stories(home) -> int:
    index = StoryIndexPage.objects.child_of(home).filter(slug=content.STORY_INDEX["slug"]).first()
    if index is None:
        index = _add_child(home, StoryIndexPage(
            title=content.STORY_INDEX["title"], slug=content.STORY_INDEX["slug"], intro=content.STORY_INDEX["intro"],
        ))
    existing = set(StoryPage.objects.child_of(index).values_list("slug", flat=True))
    created = 0
    for story in content.STORIES:
        if story["slug"] in existing:
            continue
        cover = _cover_image(story["slug"], story["title"], story["cover"], story["colour"])
        blocks = [("image", cover.pk)] + _paragraphs(story["paragraphs"])
        _add_child(index, StoryPage(
            title=story["title"], slug=story["slug"], date=story["date"], intro=story["intro"], body=_body(blocks),
        ))
        created += 1
    return created


@transaction.atomic
def seed_cms() -> dict:
    home, home_created = ensure_home_page()
    ensure_default_site(home)
    remove_welcome_page(home)
    about_created = ensure_about_page(home)
    stories_created = ensure_stories(home)
    return {"HomePage": int(home_created), "ContentPage": int(about_created), "StoryPage": stories_created}
