"""Channels: each translates one wire format (web chat, agent console, Telegram, phone) to
InboundMessage / Reply and back; none holds dialogue logic."""
