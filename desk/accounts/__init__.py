"""Agent accounts of the agent desk: the agents table (argon2-hashed passwords, roles agent and
supervisor), expiring signed bearer tokens, login rate limits, and `hotline agents add`."""
