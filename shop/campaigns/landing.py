"""A campaign's Wagtail landing page (``cms.CampaignPage``), created with the
campaign so that the banner and the dashboard can link to it at once; editors
then write its intro in Wagtail. It lives under the default site's home page,
at the campaign's slug (``/zh-hans/<slug>/``), and answers 404 while the
campaign is not published."""
from django.utils.text import slugify


def landing_page_for(campaign):
    from cms.models import CampaignPage

    return CampaignPage.objects.filter(campaign=campaign).order_by("pk").first()


def _free_slug(parent, slug):
    taken = set(parent.get_children().values_list("slug", flat=True))
    candidate, serial = slug, 2
    while candidate in taken:
        candidate, serial = f"{slug}-{serial}", serial + 1
    return candidate


def ensure_landing_page(campaign):
    """The campaign's landing page, created (live) under the home page if it has
    none. None when the site has no home page to put it under."""
    from cms.models import CampaignPage, HomePage
    from wagtail.models import Site

    page = landing_page_for(campaign)
    if page is not None:
        return page
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    home = site.root_page.specific if site is not None else None
    if not isinstance(home, HomePage):
        return None
    page = CampaignPage(title=campaign.name, slug=_free_slug(home, slugify(campaign.slug) or "campaign"),
                        campaign=campaign, seo_title=campaign.name, search_description=campaign.summary)
    home.add_child(instance=page)
    page.save_revision().publish()
    return page

