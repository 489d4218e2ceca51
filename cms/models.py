"""Wagtail pages: the home page, content pages (stories, news, about) and
campaign landing pages."""
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.images.blocks import ImageChooserBlock
from wagtail.models import Page

from shop.storefront.wagtail_serve import ViewRestrictionsMixin


class FeaturedBrandsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False)
    limit = blocks.IntegerBlock(default=12, min_value=1, max_value=48)

    class Meta:
        icon = "pick"
        template = "cms/blocks/featured_brands_block.html"


class FeaturedProductsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False)
    brand_slug = blocks.CharBlock(required=False, help_text=_("留空则展示全部品牌的新品"))
    limit = blocks.IntegerBlock(default=8, min_value=1, max_value=40)

    class Meta:
        icon = "list-ul"
        template = "cms/blocks/featured_products_block.html"


class BaseStreamBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock()
    image = ImageChooserBlock()
    featured_brands = FeaturedBrandsBlock()
    featured_products = FeaturedProductsBlock()


class HomePage(ViewRestrictionsMixin, Page):
    hero_title = models.CharField(_("主标题"), max_length=100, blank=True)
    hero_text = models.CharField(_("副标题"), max_length=255, blank=True)
    body = StreamField(BaseStreamBlock(), blank=True, use_json_field=True)

    content_panels = Page.content_panels + [FieldPanel("hero_title"), FieldPanel("hero_text"), FieldPanel("body")]
    subpage_types = ["cms.ContentPage", "cms.StoryIndexPage", "cms.CampaignPage"]
    max_count = 1

    class Meta:
        verbose_name = _("首页")


class ContentPage(ViewRestrictionsMixin, Page):
    intro = models.CharField(_("导语"), max_length=255, blank=True)
    body = StreamField(BaseStreamBlock(), blank=True, use_json_field=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]

    class Meta:
        verbose_name = _("内容页")


class StoryIndexPage(ViewRestrictionsMixin, Page):
    intro = RichTextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["cms.StoryPage"]

    class Meta:
        verbose_name = _("故事与新闻列表")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["stories"] = StoryPage.objects.live().child_of(self).order_by("-date")
        return context


class StoryPage(ViewRestrictionsMixin, Page):
    date = models.DateField(_("日期"))
    intro = models.CharField(_("导语"), max_length=255, blank=True)
    body = StreamField(BaseStreamBlock(), blank=True, use_json_field=True)

    content_panels = Page.content_panels + [FieldPanel("date"), FieldPanel("intro"), FieldPanel("body")]
    parent_page_types = ["cms.StoryIndexPage"]

    class Meta:
        verbose_name = _("创业故事 / 新闻")


class CampaignPage(ViewRestrictionsMixin, Page):
    """A festival campaign's landing page: the intro, then every product of the
    campaign with its campaign price, regular price, quota left, state and
    countdown (``shop.campaigns.offers.landing_offers``). The campaign
    dashboard creates one when a campaign is created; editors write the intro
    here. It answers 404 while its campaign is not published."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="landing_pages",
        verbose_name=_("节庆活动"),
    )
    intro = RichTextField(_("活动介绍"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("campaign"), FieldPanel("intro")]
    parent_page_types = ["cms.HomePage", "cms.ContentPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("活动落地页")
        verbose_name_plural = _("活动落地页")

    def serve(self, request, *args, **kwargs):
        campaign = self.campaign
        if not getattr(request, "is_preview", False) and (campaign is None or not campaign.is_published):
            raise Http404
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from django.utils import timezone

        from shop.campaigns.offers import landing_offers

        context = super().get_context(request, *args, **kwargs)
        campaign, now = self.campaign, timezone.now()
        context["campaign"] = campaign
        context["campaign_state"] = campaign.state_at(now) if campaign else None
        context["rows"] = landing_offers(campaign, request=request, now=now) if campaign else []
        return context
