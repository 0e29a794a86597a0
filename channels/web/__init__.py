"""The web chat channel: the `/ws/chat` JSON protocol and the citizen chat page served at `/`."""
