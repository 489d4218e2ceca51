"""Writes for harvest batches, their household contributions and their
circulation events."""
import datetime
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from catalog_sync.outbox import outbox_mark
from shop.core.cache import page_cache_invalidate
from shop.producers.models import Membership

from .models import BatchContribution, HarvestBatch, IncomeRule, TraceEvent

StockRecord = get_model("partner", "StockRecord")

# Crockford's base32 without I, L, O, U: easy to read off a label and type in.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8


def batch_code_generate() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def batch_code_normalise(code: str) -> str:
    """What a person typed or a scanner read -> the stored form (upper case, no
    separators, the look-alikes O→0 and I/L→1)."""
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


@dataclass(frozen=True)
class ContributionInput:
    household: object  # producers.Household
    quantity: Decimal
    income_rule: str
    purchase_price: Decimal | None = None
    sales_share: Decimal | None = None


def _contributions_validate(*, batch_quantity, market_subject, contributions):
    errors = []
    seen = set()
    member_ids = set(Membership.objects.filter(market_subject=market_subject).values_list("household_id", flat=True))
    total = Decimal("0")
    for index, item in enumerate(contributions, start=1):
        label = _("第 %(n)d 条") % {"n": index}
        if item.household.pk in seen:
            errors.append(_("%(label)s：农户 %(reg)s 重复") % {"label": label, "reg": item.household.registration_number})
        seen.add(item.household.pk)
        if item.household.pk not in member_ids:
            errors.append(_("%(label)s：农户 %(reg)s 不是%(subject)s的成员") % {
                "label": label, "reg": item.household.registration_number, "subject": market_subject.name})
        if item.quantity is None or item.quantity <= 0:
            errors.append(_("%(label)s：供货数量须大于 0") % {"label": label})
        else:
            total += item.quantity
        if item.income_rule == IncomeRule.PURCHASE_PRICE:
            if item.purchase_price is None or item.purchase_price < 0 or item.sales_share is not None:
                errors.append(_("%(label)s：按收购单价结算须填写不小于 0 的收购单价，且不填分成比例") % {"label": label})
        elif item.income_rule == IncomeRule.SALES_SHARE:
            if item.sales_share is None or not (0 < item.sales_share <= 100) or item.purchase_price is not None:
                errors.append(_("%(label)s：按销售额分成须填写 0 到 100 之间的分成比例，且不填收购单价") % {"label": label})
        else:
            errors.append(_("%(label)s：收益方式无效") % {"label": label})
    if total > batch_quantity:
        errors.append(_("农户供货数量合计 %(total)s 件，超过批次数量 %(quantity)s 件") % {
            "total": total.normalize(), "quantity": batch_quantity})
    if errors:
        raise ValidationError(errors)


def _contribution_rows(batch, contributions):
    return [
        BatchContribution(
            batch=batch, household=item.household, quantity=item.quantity, income_rule=item.income_rule,
            purchase_price=item.purchase_price, sales_share=item.sales_share,
        )
        for item in contributions
    ]


def _local_time(day, *, hour):
    """``hour`` o'clock on ``day`` in the site's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@transaction.atomic
def batch_create(*, product, harvested_on, quantity, inspection_report_number, inspected_on,
                 inspection_result=HarvestBatch.Inspection.PASSED, inspection_agency="", note="",
                 contributions=(), user=None) -> HarvestBatch:
    """Register a batch of ``product`` from its market subject (the product's
    origin), add its units to that subject's stock record (a batch that failed
    inspection adds none and is never sold), record its commissioning and
    inspection events, and its households' contributions."""
    origin = getattr(product, "origin", None)
    if origin is None:
        raise ValidationError(_("该商品尚未登记产地与生产主体，不能登记批次"))
    market_subject = origin.market_subject
    stockrecord = StockRecord.objects.select_for_update().filter(product=product, partner=market_subject.partner).first()
    if stockrecord is None:
        raise ValidationError(_("%(subject)s没有该商品的库存记录") % {"subject": market_subject.name})
    if quantity is None or quantity < 1:
        raise ValidationError({"quantity": _("批次数量须至少为 1 件")})
    if inspected_on < harvested_on:
        raise ValidationError({"inspected_on": _("质检日期不能早于采收日期")})
    if harvested_on > timezone.localdate():
        raise ValidationError({"harvested_on": _("采收日期不能晚于今天")})
    contributions = list(contributions)
    _contributions_validate(batch_quantity=quantity, market_subject=market_subject, contributions=contributions)
    batch = None
    for _attempt in range(5):
        try:
            with transaction.atomic():
                batch = HarvestBatch.objects.create(
                    code=batch_code_generate(), product=product, market_subject=market_subject, stockrecord=stockrecord,
                    village=origin.village, harvested_on=harvested_on, quantity=quantity,
                    inspection_report_number=inspection_report_number.strip(), inspection_result=inspection_result,
                    inspected_on=inspected_on, inspection_agency=inspection_agency.strip(), note=note.strip(),
                    created_by=user,
                )
            break
        except IntegrityError:  # a code collision (32^8 codes): draw again
            continue
    if batch is None:
        raise ValidationError(_("批次码生成失败，请重试"))
    BatchContribution.objects.bulk_create(_contribution_rows(batch, contributions))
    if batch.is_sellable:
        StockRecord.objects.filter(pk=stockrecord.pk).update(num_in_stock=F("num_in_stock") + quantity)
        outbox_mark([product.pk], "stock")  # update() sends no post_save: tell the channels
    place = origin.village.name if origin.village_id else origin.county.name
    TraceEvent.objects.bulk_create([
        TraceEvent(
            batch=batch, business_step=TraceEvent.BusinessStep.COMMISSIONING, disposition=TraceEvent.Disposition.ACTIVE,
            occurred_at=_local_time(harvested_on, hour=8),
            place=place, recorder=TraceEvent.Recorder.COOPERATIVE, recorded_by=user,
            note=_("%(subject)s采收登记") % {"subject": market_subject.name},
        ),
        TraceEvent(
            batch=batch, business_step=TraceEvent.BusinessStep.INSPECTING,
            disposition=TraceEvent.Disposition.CONFORMANT if batch.is_sellable else TraceEvent.Disposition.IN_PROGRESS,
            occurred_at=_local_time(inspected_on, hour=14),
            place=inspection_agency.strip() or place, recorder=TraceEvent.Recorder.COOPERATIVE, recorded_by=user,
            note=_("质检报告 %(number)s：%(result)s") % {"number": batch.inspection_report_number,
                                                     "result": batch.get_inspection_result_display()},
        ),
    ])
    page_cache_invalidate()  # stock changed: cached pages are stale
    return batch


@transaction.atomic
def contributions_replace(*, batch, contributions) -> list[BatchContribution]:
    """Replace a batch's contributions (e.g. from an imported file). Only while
    none of its units are sold: after that the ledger depends on them."""
    batch = HarvestBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.quantity_allocated or batch.line_allocations.exists():
        raise ValidationError(_("批次 %(code)s 已有销售，农户供货不能再修改") % {"code": batch.code})
    contributions = list(contributions)
    _contributions_validate(batch_quantity=batch.quantity, market_subject=batch.market_subject, contributions=contributions)
    batch.contributions.all().delete()
    return BatchContribution.objects.bulk_create(_contribution_rows(batch, contributions))


def trace_event_record(*, batch, business_step, disposition, occurred_at, place, recorder, user=None,
                       service_point=None, temperature=None, event_type=TraceEvent.EventType.OBJECT, note="") -> TraceEvent:
    """Record a circulation event. A fresh (鲜活) product's cold-chain step needs a temperature."""
    origin = getattr(batch.product, "origin", None)
    is_fresh = bool(origin and origin.is_fresh)
    if is_fresh and business_step in TraceEvent.COLD_CHAIN_STEPS and temperature is None:
        raise ValidationError({"temperature": _("鲜活产品的冷链环节须记录温度")})
    if occurred_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"occurred_at": _("发生时间不能晚于现在")})
    if not (place or "").strip() and service_point is None:
        raise ValidationError({"place": _("请填写地点")})
    return TraceEvent.objects.create(
        batch=batch, event_type=event_type, business_step=business_step, disposition=disposition,
        occurred_at=occurred_at, place=(place or "").strip() or service_point.name, service_point=service_point,
        temperature=temperature, recorder=recorder, recorded_by=user, note=(note or "").strip(),
    )


def contributions_import(*, batch, name, data) -> list[BatchContribution]:
    """Replace a batch's contributions with those of an uploaded CSV or XLSX
    file (``importers``): all of them, or none and a ValidationError with a
    message for every problem in the file."""
    from . import importers, selectors

    if selectors.batch_is_sold(batch):
        raise ValidationError(_("批次 %(code)s 已有销售，农户供货不能再修改") % {"code": batch.code})
    try:
        contributions = importers.contributions_parse(
            name=name, data=data, households=selectors.member_households_by_registration(batch.market_subject),
            batch_quantity=batch.quantity,
        )
    except importers.ContributionFileError as error:
        raise ValidationError(error.messages) from None
    return contributions_replace(batch=batch, contributions=contributions)
