import datetime

from django import template
from django.db.models.fields.files import FieldFile
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def cell(value):
    """Render a list cell or detail value: yes/no for booleans, a dash for blanks."""
    if isinstance(value, FieldFile):
        return format_html('<a href="{}">{}</a>', value.url, value.name) if value else "—"
    if value is True:
        return format_html('<i class="fas fa-check text-success"></i> {}', _("是"))
    if value is False:
        return format_html('<i class="fas fa-times text-muted"></i> {}', _("否"))
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime.datetime):
        return date_format(localtime(value), "Y-m-d H:i")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
