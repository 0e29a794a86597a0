"""Conversations: messages and their storage, the dialogue-engine client (Rasa REST), and the
ConversationRouter, the only place that knows whether a conversation is with the bot or a human."""
