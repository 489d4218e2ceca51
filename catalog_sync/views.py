"""The platforms' push endpoint: verify now, answer at once, import in a task.

The signature is checked before anything is written (a bad one is answered 401).
The verified events go to ``channel_push_events``: with a broker the answer does
not wait for the platform's ``get_order`` (WeChat Shop wants ``success`` within
3 s); without one (the embedded default) the task runs in process first.  If
processing fails the answer is an error, the platform delivers again, and the
polling import is the safety net for a message that never comes back."""
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .connectors.base import InvalidSignature
from .models import Channel
from .orders import channel_connector, event_to_dict, push_verify
from .tasks import channel_push_events

DEFAULT_REPLY = "success"


@csrf_exempt
@require_POST
def push_receive_view(request, code):
    channel = Channel.objects.filter(code=code, is_enabled=True).first()
    if channel is None:
        # Not 404: LocaleMiddleware would redirect that to a language-prefixed page.
        return HttpResponseForbidden("unknown or disabled channel", content_type="text/plain")
    connector = channel_connector(channel)
    # WeChat signs in the query string (signature, timestamp, nonce): pass it along.
    headers = {**dict(request.headers.items()), **request.GET.dict()}
    try:
        events = push_verify(connector, headers, request.body)
    except InvalidSignature:
        return HttpResponse("invalid signature", status=401, content_type="text/plain")
    if events:
        channel_push_events.delay(channel.pk, [event_to_dict(event) for event in events])
    return HttpResponse(getattr(connector, "push_reply", DEFAULT_REPLY), content_type="text/plain")
