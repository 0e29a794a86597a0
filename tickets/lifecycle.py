"""The work order lifecycle: 已受理 → 已派单 → 办理中 → 已办结 → 已回访/已关闭, with 退单 and 重新派单."""

from tickets.models import Status

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.ACCEPTED: frozenset({Status.DISPATCHED, Status.CLOSED}),
    Status.DISPATCHED: frozenset({Status.IN_PROGRESS, Status.RETURNED}),
    Status.IN_PROGRESS: frozenset({Status.RESOLVED, Status.RETURNED}),
    Status.RETURNED: frozenset({Status.DISPATCHED, Status.CLOSED}),  # 重新派单, or closed as not ours
    Status.RESOLVED: frozenset({Status.VISITED, Status.CLOSED, Status.DISPATCHED}),  # reopened on a bad visit
    Status.VISITED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

OPEN_STATUSES = frozenset({Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS, Status.RETURNED})


class IllegalTransition(ValueError):
    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(f"a work order cannot go from {current.value} to {target.value}")
        self.current, self.target = current, target


def check_transition(current: Status, target: Status) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)
