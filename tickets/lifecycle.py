"""The work order lifecycle: 已受理 → 已派单 → 办理中 → 已办结 → 已回访/已关闭, with 退单 and 重新派单.
Which action moves an order from which status is tickets/handling.py (RULES)."""

from tickets.models import Status

OPEN_STATUSES = frozenset({Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS, Status.RETURNED})


class WorkOrderNotFound(LookupError):
    pass


class IllegalTransition(ValueError):
    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(f"a work order cannot go from {current.value} to {target.value}")
        self.current, self.target = current, target
