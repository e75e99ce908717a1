"""A generic SMS gateway (``sms-gateway``) and voice calls through the same gateway shape
(``voice-gateway``), modelled on the common Chinese cloud SMS/voice APIs (template + params,
sign name, an ``out_id`` echoed in delivery reports).

Configuration: base URL of the gateway, token = its API key (bearer), options ``sign_name``,
``template_code`` (SMS) and ``tts_code`` (voice). ``POST /sms/send`` and ``POST /voice/call``
answer HTTP 200 with ``{"code": "OK", "biz_id" | "call_id": …}`` or an error code:
``isv.BUSINESS_LIMIT_CONTROL`` / ``isv.DAY_LIMIT_CONTROL`` (throttled: ``RateLimited``),
``isp.SYSTEM_ERROR`` (transient), anything else (``isv.MOBILE_NUMBER_ILLEGAL``,
``isv.TEMPLATE_MISSING_PARAMETERS`` …) permanent. The gateway takes an ``Idempotency-Key``: a
retried send with the ledger row's key is answered with the first message's id, not sent again.
"""

from __future__ import annotations

from .base import PermanentError, TransientError, register
from .im import MOBILE
from .messaging import ChannelAdapter, ChannelMessage, MalformedPayload, RateLimited, SendReceipt

RATE_LIMITED = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL"})
TRANSIENT = frozenset({"isp.SYSTEM_ERROR", "isp.RAM_PERMISSION_DENY_TEMPORARILY"})


def gateway_check(body) -> None:
    if not isinstance(body, dict) or not isinstance(body.get("code"), str):
        raise MalformedPayload("SMS gateway: answer without a “code”")
    code = body["code"]
    if code == "OK":
        return
    reason = f"SMS gateway refused the message: {code} {body.get('message', '')}".strip()
    if code in RATE_LIMITED:
        raise RateLimited(reason)
    if code in TRANSIENT:
        raise TransientError(reason)
    raise PermanentError(reason)


class GatewayAdapter(ChannelAdapter):
    dedupes = True  # Idempotency-Key
    path = ""
    id_field = ""

    def __init__(self, config):
        super().__init__(config)
        from .base import HttpClient

        self.http = HttpClient(config, bearer=True)

    def payload(self, message: ChannelMessage) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def params(self, message: ChannelMessage) -> dict:
        """Template parameters: the caller's, else the title and the link (short texts: SMS
        templates cap each variable)."""
        if message.params:
            return dict(message.params)
        return {"title": message.title[:35], "link": message.link}

    def send(self, message: ChannelMessage) -> SendReceipt:
        if not MOBILE.match(message.to or ""):
            raise PermanentError(f"not a mobile number: {message.to!r}")
        headers = {"Idempotency-Key": message.idempotency_key} if message.idempotency_key else None
        body = self.http.request(
            "POST", self.path, json=self.payload(message), headers=headers, check=gateway_check
        )
        provider_id = body.get(self.id_field)
        if not provider_id:
            raise MalformedPayload(f"gateway answered without {self.id_field}")
        return SendReceipt(
            provider_message_id=str(provider_id),
            duplicate=bool(body.get("duplicate")),
        )


@register("channel", "sms-gateway")
class SmsGatewayAdapter(GatewayAdapter):
    channel = "sms"
    path = "sms/send"
    id_field = "biz_id"

    def payload(self, message: ChannelMessage) -> dict:
        return {
            "phone_numbers": message.to,
            "sign_name": self.option("sign_name", "Keel"),
            "template_code": self.option("template_code", "KEEL_ALERT"),
            "template_param": self.params(message),
            "out_id": message.idempotency_key,
        }


@register("channel", "voice-gateway")
class VoiceGatewayAdapter(GatewayAdapter):
    channel = "voice"
    path = "voice/call"
    id_field = "call_id"

    def payload(self, message: ChannelMessage) -> dict:
        return {
            "called_number": message.to,
            "tts_code": self.option("tts_code", "KEEL_VOICE_ALERT"),
            "tts_param": self.params(message),
            "play_times": 2,
            "out_id": message.idempotency_key,
        }
