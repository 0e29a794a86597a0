"""aiogram handlers of the Telegram channel, one Router per module: commands, text/contact/location
messages, voice notes, inline-button presses, and the single error handler."""
