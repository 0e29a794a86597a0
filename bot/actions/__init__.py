"""Custom Rasa actions (engine runtime, served by `rasa run actions --actions bot.actions`).

Actions are thin: they read the tracker, call the gateway through GatewayClient, and emit
payloads; data lives in the gateway.
"""

from bot.actions.handoff import ActionHandoff
from bot.actions.intake import (
    ActionAskAddress,
    ActionAskIntakeConfirmed,
    ActionCreateWorkOrder,
    ActionResetIntake,
    ValidateIntakeForm,
)
from bot.actions.ticket_query import ActionQueryTicket, ValidateTicketQueryForm

__all__ = [
    "ActionAskAddress",
    "ActionAskIntakeConfirmed",
    "ActionCreateWorkOrder",
    "ActionHandoff",
    "ActionQueryTicket",
    "ActionResetIntake",
    "ValidateIntakeForm",
    "ValidateTicketQueryForm",
]
