"""Work orders (工单): tables, readable numbers, the lifecycle with its event log, the category
catalog and dispatch rules (and, from them, who handles a matter: referral.py), and the ticket APIs
(Open311 GeoReport v2, /api/tickets)."""
