"""Survey calls (回访) through the PBX, one provider per file behind `SurveyCalls` (base.py):
Asterisk ARI originate into the AudioSocket dialplan (ari.py), a Twilio-style calls API into
/ws/media (twilio.py). `survey_calls_from(settings, outbound)` builds the configured one
(HOTLINE_PBX; None for `none`: resolved phone orders then go on the agents' callback list)."""

from channels.phone.outbound import OutboundCalls
from core.settings import Settings
from followup.pbx.ari import AriSurveyCalls
from followup.pbx.base import SurveyCalls
from followup.pbx.twilio import TwilioSurveyCalls

__all__ = ["AriSurveyCalls", "SurveyCalls", "TwilioSurveyCalls", "survey_calls_from"]


def survey_calls_from(settings: Settings, outbound: OutboundCalls) -> SurveyCalls | None:
    """The configured provider, or None; ValueError names the settings that are missing."""
    if settings.pbx == "none":
        return None
    if settings.pbx == "ari":
        _require(settings, "pbx_ari_url", "pbx_ari_user", "pbx_ari_password")
        audiosocket = settings.pbx_audiosocket_address
        if audiosocket is None and settings.host in ("0.0.0.0", "::", ""):
            raise ValueError(
                "HOTLINE_HOST listens on every interface: set HOTLINE_PBX_AUDIOSOCKET_ADDRESS to the "
                "host:port Asterisk reaches this gateway's AudioSocket server at"
            )
        return AriSurveyCalls(
            outbound,
            settings.pbx_ari_url,
            settings.pbx_ari_user,
            settings.pbx_ari_password,
            audiosocket or f"{settings.host}:{settings.audiosocket_port}",
            endpoint=settings.pbx_endpoint,
            context=settings.pbx_context,
            extension=settings.pbx_extension,
            priority=settings.pbx_priority,
            caller_id=settings.pbx_caller_id,
            ring_timeout_s=settings.pbx_ring_timeout_s,
        )
    _require(settings, "pbx_twilio_account_sid", "twilio_auth_token", "pbx_public_url")
    return TwilioSurveyCalls(
        outbound,
        settings.pbx_twilio_account_sid,
        settings.twilio_auth_token,
        settings.pbx_caller_id,
        settings.pbx_public_url,
        api_url=settings.pbx_twilio_api_url,
        ring_timeout_s=settings.pbx_ring_timeout_s,
    )


def _require(settings: Settings, *names: str) -> None:
    missing = [f"HOTLINE_{n.upper()}" for n in names if not getattr(settings, n)]
    if missing:
        raise ValueError(f"HOTLINE_PBX={settings.pbx} needs {', '.join(missing)}")
