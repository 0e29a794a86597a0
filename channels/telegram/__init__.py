"""The Telegram channel (aiogram 3): long polling or webhook, text, inline-keyboard buttons,
commands (/start, /status, /human), shared contacts and locations, voice notes through the
speech recognizer, and delivery of bot and agent replies with retries. Conversation ids are
`tg:<chat_id>`; the dialogue itself is the ConversationRouter's, as for every channel."""
