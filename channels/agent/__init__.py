"""The agent console channel: the Agent desk API (`/api/agent/…`, bearer tokens), live events on
`/ws/agent`, and the console page at `/agent` (plain HTML/JS/CSS in static/)."""
