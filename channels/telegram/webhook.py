"""`POST /telegram/webhook`: updates pushed by Telegram, checked against the secret token. The
answer comes after the update was handled (stored by the router), so Telegram re-sends it if the
gateway fails before that."""

import logging
import secrets

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.deps import SettingsDep, TelegramDep
from channels.telegram.wiring import WEBHOOK_PATH

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


router = APIRouter()


@router.post(WEBHOOK_PATH, include_in_schema=False)
async def telegram_webhook(request: Request, channel: TelegramDep, settings: SettingsDep) -> Response:
    given = request.headers.get(SECRET_HEADER, "")
    if channel is None or not secrets.compare_digest(given.encode(), settings.telegram_secret.encode()):
        log.warning("telegram webhook call with a wrong secret token from %s", request.client)
        raise HTTPException(401, "wrong or missing secret token")
    try:
        body = await request.json()
        if not isinstance(body, dict) or "update_id" not in body:
            raise ValueError("not an update object")
        await channel.feed_webhook(body)
    except (ValueError, ValidationError) as exc:
        log.warning("telegram webhook: malformed update refused: %s", str(exc)[:200])
        raise HTTPException(400, "malformed update") from None
    return Response(status_code=200)
