"""The emergency safety net: for every citizen message on every channel, before the dialogue
answers, decide whether it is an emergency happening now and which services the citizen must
call (119 fire, 110 police, 120 medical, the gas emergency line), and the advice they get first.

- `detector`: EmergencyDetector (a text classifier trained on the project's own phrasings in
  `safety/data/`, plus cue rules) and its EmergencyDecision with a loggable reason.
- `advice`: the numbers and the short Chinese advice, as a Reply with tap-to-call data.
"""
