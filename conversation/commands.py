"""Router commands a citizen sends as button payloads, and the buttons that carry them."""

from conversation.messages import Button

REQUEST_HUMAN = "/request_human"  # hand over to an agent (works even when the bot is down)
BACK_TO_BOT = "/back_to_bot"  # leave the queue
CALLBACK = "/callback"  # leave a callback request instead of waiting
CANCEL_CALLBACK = "/cancel_callback"

HUMAN_BUTTON = Button(title="转人工", payload=REQUEST_HUMAN)
BACK_BUTTON = Button(title="返回智能客服", payload=BACK_TO_BOT)
CALLBACK_BUTTON = Button(title="申请回电", payload=CALLBACK)
CANCEL_CALLBACK_BUTTON = Button(title="取消回电", payload=CANCEL_CALLBACK)
