"""The agent desk: the human side of the hotline. It owns the queue of conversations waiting for
a person and what agents do with them (take, reply, hand back to the bot, close), the handoff
summary and the draft work order an agent edits, work orders filed from the desk and callback
requests, what a queued citizen is told about waiting (working hours, place, estimate), and the
agent accounts (`desk.accounts`: passwords, tokens, login limits, `hotline agents`).

It builds on `conversation` (messages, store, event bus); the ConversationRouter is given an
AgentDesk when it is built. The agent console's web layer (API, /ws/agent, page) is
`channels.agent`."""
