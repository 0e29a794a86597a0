"""The first reply to an emergency: which number to call, in one or two short Chinese sentences,
and the numbers as data so that channels can make them tap-to-call (web `tel:` links, Telegram
phone-number entities) and the phone reads them first."""

from dataclasses import dataclass

from conversation.messages import Reply


@dataclass(frozen=True)
class Service:
    number: str
    label: str  # shown on the call button
    advice: str  # the sentence when this service comes first
    also: str  # the sentence when another service comes first


CATALOG: dict[str, Service] = {
    "fire": Service(
        "119", "火警 119", "请立即拨打119火警电话，尽快撤到安全的地方，不要乘电梯。", "也请拨打119火警电话。"
    ),
    "police": Service("110", "报警 110", "请立即拨打110报警，先保护好自己的安全。", "也请拨打110报警。"),
    "medical": Service("120", "急救 120", "请立即拨打120急救电话，守在病人身边等救护车。", "也请拨打120急救电话。"),
    "gas": Service(
        "96777",
        "燃气抢修 96777",
        "请马上离开现场，不要开关电器、不要点火，到安全的地方拨打燃气抢修电话96777，情况严重请拨119。",
        "燃气泄漏请拨打燃气抢修电话96777。",
    ),
}
# Gas leaks may turn into fires: 119 is offered beside the gas line.
EXTRA_NUMBERS = {"gas": ("fire",)}
# When nothing says which service: the three emergency numbers.
DEFAULT_SERVICES = ("fire", "police", "medical")
OPENING = "情况紧急！"
CLOSING = "我们同时通知人工客服跟进。"


def emergency_numbers(services: tuple[str, ...]) -> list[dict[str, str]]:
    """The numbers to offer, in order, without repeats: [{"service", "number", "label"}]."""
    ordered: list[str] = []
    for service in services:
        for s in (service, *EXTRA_NUMBERS.get(service, ())):
            if s in CATALOG and s not in ordered:
                ordered.append(s)
    return [{"service": s, "number": CATALOG[s].number, "label": CATALOG[s].label} for s in ordered]


def known_services(services: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(s for s in services if s in CATALOG) or DEFAULT_SERVICES


def advice_text(services: tuple[str, ...]) -> str:
    first, *rest = known_services(services)
    return OPENING + CATALOG[first].advice + "".join(CATALOG[s].also for s in rest) + CLOSING


def advice_reply(services: tuple[str, ...]) -> Reply:
    """The advice as the system's reply; `data.emergency` carries the numbers for the channels."""
    known = known_services(services)
    data = {"emergency": {"services": list(known), "numbers": emergency_numbers(known)}}
    return Reply(advice_text(known), data=data, sender="system")
