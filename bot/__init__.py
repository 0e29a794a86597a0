"""Dialogue definition for the Rasa engine runtime (Python 3.10): domain, rules, stories, actions."""
