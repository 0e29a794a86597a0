"""StreamPool: recognition streams lent per utterance, kept warm, bounded, closed at the end."""

from tests.phone.fakes import tone
from voice.asr.scripted_provider import ScriptedSpeechToText
from voice.recognition import StreamPool


async def test_streams_are_reused_and_the_idle_pool_is_bounded():
    stt = ScriptedSpeechToText()
    pool = StreamPool(stt, max_idle=2)
    a, b, c = await pool.acquire(), await pool.acquire(), await pool.acquire()
    assert pool.opened == 3 and stt.open_streams == 3
    for lease in (a, b, c):
        await pool.release(lease)
    assert pool.idle == 2 and stt.open_streams == 2  # the third was closed, not hoarded
    again = await pool.acquire()
    assert again is c or again is b
    assert pool.opened == 3
    await pool.release(again, reusable=False)  # a stream in an unknown state is closed
    assert stt.open_streams == 1
    await pool.close()
    assert stt.open_streams == 0 and pool.idle == 0
    await pool.release(await pool.acquire())  # after close nothing is kept
    assert stt.open_streams == 0


async def test_warm_decodes_with_each_stream():
    stt = ScriptedSpeechToText(["一", "二"])
    pool = StreamPool(stt, max_idle=2)
    await pool.warm(tone(1000, rate=16000), 16000)
    assert pool.idle == 2 and stt.heard == ["一", "二"]
    await pool.close()
    assert stt.open_streams == 0
