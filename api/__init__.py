"""The gateway's HTTP layer shared by every router: typed FastAPI dependencies on the objects the
composition root (app.py) puts on `app.state` (deps.py), and the gateway's own routes: the chat
page, health and metrics (routes.py). The other routers live in their packages and import deps."""
