"""Text messages (短信) to a customer's phone, behind one small interface.

``settings.XIANGPIN_SMS_BACKEND`` names the backend class by dotted path:

- ``shop.fulfilment.sms.ConsoleSmsBackend`` (the default): writes the message to
  the log, with the phone number masked — the embedded default has no SMS gateway;
- ``shop.fulfilment.sms.LocmemSmsBackend``: keeps messages in ``outbox`` (tests);
- a real gateway is one more subclass with a ``send``.

A full phone number is never logged, by any backend here.
"""
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from shop.core.masking import mask_phone

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "shop.fulfilment.sms.ConsoleSmsBackend"


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str


class BaseSmsBackend:
    def send(self, message: SmsMessage) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    def send(self, message):
        logger.warning("SMS to %s: %s", mask_phone(message.phone), message.text)


# What LocmemSmsBackend has sent, oldest first (tests empty it).
outbox: list[SmsMessage] = []


class LocmemSmsBackend(BaseSmsBackend):
    def send(self, message):
        outbox.append(message)


def sms_backend() -> BaseSmsBackend:
    return import_string(getattr(settings, "XIANGPIN_SMS_BACKEND", "") or DEFAULT_BACKEND)()


def sms_send(*, phone, text) -> SmsMessage:
    message = SmsMessage(phone=phone, text=text.strip())
    sms_backend().send(message)
    return message
