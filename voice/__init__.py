"""Voice: audio utilities (mu-law/A-law, resampling, framing), voice-activity and end-of-turn
detection, speech recognition and synthesis providers, and the VoicePipeline that runs a call."""
