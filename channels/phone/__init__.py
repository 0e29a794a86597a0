"""Phone channel: telephony transports that carry a call's audio to a VoicePipeline and back.

- `audiosocket.py`: Asterisk AudioSocket, a TCP server (HOTLINE_AUDIOSOCKET_PORT, 9092).
- `media_stream.py`: `/ws/media`, the Twilio Media Streams WebSocket protocol.
- `playout.py`: outbound audio paced in 20 ms frames, flushed at once on barge-in.
- `calls.py`: PhoneChannel (the Channel for `phone:` conversations: live calls, agent messages
  spoken, how each call ended) and the HTTP routes a PBX or provider asks about a call.

A transport only translates its wire format; turn-taking, recognition and dialogue live in
voice/. A SIP or FreeSWITCH transport is one more file implementing voice.call.CallTransport.
See README.md here for the Asterisk dialplan and the Twilio-style provider setup.
"""
