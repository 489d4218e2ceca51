"""Market subjects (合作社, 龙头企业, 创业带头人) and the beneficiary households
(建档立卡贫困户) linked to them. The head's name, ID number and phone are
encrypted at rest (django-fernet-encrypted-fields); an HMAC digest of the ID
number lets operators find a household without the plaintext being stored."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField


class LinkageModel(models.TextChoices):
    """The plan's four interest-linkage models (利益联结模式)."""

    ENTREPRENEUR = "entrepreneur", _("电商+创业带头人+贫困户")
    LEADING_ENTERPRISE = "leading_enterprise", _("电商+农业龙头企业+贫困户")
    COOPERATIVE = "cooperative", _("电商+农民专业合作社+贫困户")
    MODEL_ENTREPRENEUR = "model_entrepreneur", _("电商创业模范+贫困户")


class MarketSubject(models.Model):
    class Kind(models.TextChoices):
        COOPERATIVE = "cooperative", _("农民专业合作社")
        LEADING_ENTERPRISE = "leading_enterprise", _("农业龙头企业")
        ENTREPRENEUR_LEADER = "entrepreneur_leader", _("创业带头人")

    partner = models.OneToOneField("partner.Partner", on_delete=models.PROTECT, related_name="market_subject", verbose_name=_("销售商（Oscar partner）"))
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100)
    county = models.ForeignKey("regions.County", on_delete=models.PROTECT, related_name="market_subjects", verbose_name=_("所在县（市、区）"))
    linkage_model = models.CharField(_("利益联结模式"), max_length=24, choices=LinkageModel.choices)
    unified_social_credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=32, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    description = models.TextField(_("简介"), blank=True)

    class Meta:
        ordering = ["county__code", "name"]
        verbose_name = _("市场主体")
        verbose_name_plural = _("市场主体")

    def __str__(self):
        return self.name


class Household(models.Model):
    class Status(models.TextChoices):
        IN_POVERTY = "in_poverty", _("未脱贫")
        LIFTED = "lifted", _("已脱贫")

    village = models.ForeignKey("regions.Village", on_delete=models.PROTECT, related_name="households", verbose_name=_("所在行政村"))
    # Personal data: encrypted at rest, masked in operator screens, never public.
    head_name = EncryptedCharField(_("户主姓名"), max_length=32)
    id_number = EncryptedCharField(_("户主身份证号"), max_length=18)
    phone = EncryptedCharField(_("联系电话"), max_length=20, blank=True, null=True)
    id_number_digest = models.CharField(_("身份证号摘要"), max_length=64, unique=True, editable=False)
    registration_number = models.CharField(_("建档立卡编号"), max_length=32, unique=True)
    members = models.PositiveSmallIntegerField(_("家庭人口"))
    able_bodied_members = models.PositiveSmallIntegerField(_("有劳动能力人数"))
    status = models.CharField(_("贫困状态"), max_length=12, choices=Status.choices, default=Status.IN_POVERTY)
    lifted_out_year = models.PositiveSmallIntegerField(_("脱贫年份"), null=True, blank=True)
    alias_consent = models.BooleanField(_("同意公开化名"), default=False)
    # e.g. 「梅县 李姓农户」: only set when the household consented.
    public_alias = models.CharField(_("公开化名"), max_length=40, blank=True)
    cooperatives = models.ManyToManyField(MarketSubject, through="Membership", related_name="households", verbose_name=_("所属市场主体"))
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["registration_number"]
        verbose_name = _("建档立卡贫困户")
        verbose_name_plural = _("建档立卡贫困户")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(able_bodied_members__lte=models.F("members")),
                name="household_able_bodied_lte_members",
            ),
            models.CheckConstraint(
                condition=models.Q(status="in_poverty", lifted_out_year__isnull=True)
                | models.Q(status="lifted", lifted_out_year__isnull=False),
                name="household_lifted_year_matches_status",
            ),
        ]

    def __str__(self):
        # Never the head's name: this string shows up in admin screens and logs.
        return self.registration_number

    @property
    def status_label(self):
        if self.status == self.Status.LIFTED:
            return _("%(year)s年已脱贫") % {"year": self.lifted_out_year}
        return self.get_status_display()


class Membership(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="memberships")
    market_subject = models.ForeignKey(MarketSubject, on_delete=models.CASCADE, related_name="memberships")
    joined_on = models.DateField(_("加入日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("成员关系")
        verbose_name_plural = _("成员关系")
        constraints = [models.UniqueConstraint(fields=["household", "market_subject"], name="unique_membership")]
