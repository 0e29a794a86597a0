"""What the router itself says to a citizen (engine down, handing over, still queued, back with the
bot, out of hours, care for someone in distress), and the handoff a mood signal asks for."""

from typing import Any

from conversation.commands import BACK_BUTTON, CALLBACK_BUTTON
from conversation.distress import MoodSignal
from conversation.messages import Mode, Reply

ENGINE_DOWN = "抱歉，智能客服暂时无法应答，您的留言已记录。需要的话可以为您转接人工客服。"
HANDING_OFF = "正在为您转接人工客服，请稍候…"
STILL_QUEUED = "您正在等待人工客服，留言已记录，客服接入后会看到。"
BACK_WITH_BOT = "已转回智能客服，请问还有什么可以帮您？"
OUT_OF_HOURS = (
    "现在不在人工客服服务时间（每天{hours}）。您可以申请回电，工作人员上班后会尽快与您联系；也可以继续向智能客服提问。"
)
DISTRESS_CARE = "您别着急，我马上请人工客服来帮您。如果有生命危险，请立即拨打110或120。"


def mood_handoff(signal: MoodSignal) -> dict[str, Any]:
    reason = "angry" if signal.label == "anger" else "distress"
    return {"reason": reason, "signal": {"label": signal.label, "score": signal.score, "by": signal.by}}


def handoff_notice(reason: str, out_of_hours: str | None) -> Reply:
    """What the citizen is told on a handoff: queued for a person, or (with the desk's working
    hours in `out_of_hours`) that nobody is there now and a callback can be asked for."""
    if out_of_hours is None:
        data = {"mode": Mode.QUEUED.value, "handoff_reason": reason}
        return Reply(HANDING_OFF, buttons=(BACK_BUTTON,), sender="system", data=data)
    return Reply(
        OUT_OF_HOURS.format(hours=out_of_hours),
        buttons=(CALLBACK_BUTTON,),
        sender="system",
        data={"handoff_reason": reason, "out_of_hours": True},
    )
