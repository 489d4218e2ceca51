"""Administrative divisions (city → county → township → village) and the
service network: the plan's three tiers plus urban pickup points and lockers."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class City(models.Model):
    """地级市."""

    code = models.CharField(_("行政区划代码"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=32)
    name_en = models.CharField(_("英文名"), max_length=64, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("地级市")
        verbose_name_plural = _("地级市")

    def __str__(self):
        return self.name


class County(models.Model):
    """县/区/县级市."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="counties", verbose_name=_("地级市"))
    code = models.CharField(_("行政区划代码"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=32)
    name_en = models.CharField(_("英文名"), max_length=64, blank=True)
    is_demonstration_county = models.BooleanField(_("电子商务进农村综合示范县"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("县（市、区）")
        verbose_name_plural = _("县（市、区）")

    def __str__(self):
        return self.name


class Township(models.Model):
    """乡镇/街道."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="townships", verbose_name=_("县（市、区）"))
    code = models.CharField(_("行政区划代码"), max_length=9, unique=True)
    name = models.CharField(_("名称"), max_length=32)

    class Meta:
        ordering = ["code"]
        verbose_name = _("乡镇")
        verbose_name_plural = _("乡镇")

    def __str__(self):
        return self.name


class Village(models.Model):
    """行政村, flagged when it is a provincial poor village (省定贫困村)."""

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="villages", verbose_name=_("乡镇"))
    code = models.CharField(_("行政区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=32)
    is_provincial_poor_village = models.BooleanField(_("省定贫困村"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政村")
        verbose_name_plural = _("行政村")

    def __str__(self):
        return self.name


class ServicePoint(models.Model):
    """A point of the service network: the plan's three tiers (county centre,
    township station, village point) and urban community pickup points and lockers."""

    class Kind(models.TextChoices):
        COUNTY_CENTRE = "county_centre", _("县级电子商务公共服务中心")
        TOWNSHIP_STATION = "township_station", _("乡镇电子商务服务站")
        VILLAGE_POINT = "village_point", _("村级电子商务服务点")
        COMMUNITY_PICKUP = "community_pickup", _("社区自提点")
        LOCKER = "locker", _("提货柜")

    URBAN_KINDS = (Kind.COMMUNITY_PICKUP, Kind.LOCKER)

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=64)
    code = models.SlugField(_("编号"), max_length=32, unique=True)
    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="service_points", verbose_name=_("所在县（市、区）"))
    township = models.ForeignKey(Township, on_delete=models.PROTECT, null=True, blank=True, related_name="service_points", verbose_name=_("所在乡镇"))
    village = models.ForeignKey(Village, on_delete=models.PROTECT, null=True, blank=True, related_name="service_points", verbose_name=_("所在行政村"))
    community = models.CharField(_("社区"), max_length=64, blank=True)
    address = models.CharField(_("地址"), max_length=200)
    opening_hours = models.CharField(_("营业时间"), max_length=100, blank=True)
    has_cold_storage = models.BooleanField(_("冷藏"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="service_points", verbose_name=_("工作人员账号"))

    class Meta:
        ordering = ["county__code", "kind", "name"]
        verbose_name = _("服务网点")
        verbose_name_plural = _("服务网点")

    def __str__(self):
        return self.name

    @property
    def is_pickup_point(self):
        return self.kind in self.URBAN_KINDS
