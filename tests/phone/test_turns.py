"""Turn-taking state (barge-in, silence time-out with one re-prompt) and DTMF collection,
driven with made-up times."""

from voice.turns import DtmfCollector, Floor, KeyAction, SilenceAction, TurnTaking


def test_silence_reprompts_once_then_gives_up():
    turns = TurnTaking(silence_timeout_s=5, max_reprompts=1)
    turns.start(0)
    assert turns.check_silence(4.9) is None
    assert turns.check_silence(5.0) is SilenceAction.REPROMPT
    assert turns.check_silence(9.9) is None  # the clock restarted at the re-prompt
    assert turns.check_silence(10.0) is SilenceAction.GIVE_UP


def test_caller_activity_resets_the_silence_count():
    turns = TurnTaking(silence_timeout_s=5)
    turns.start(0)
    assert turns.check_silence(5) is SilenceAction.REPROMPT
    turns.speech_started(6)
    turns.speech_ended(7)
    assert turns.check_silence(11.9) is None
    assert turns.check_silence(12) is SilenceAction.REPROMPT  # a fresh re-prompt, not the goodbye
    turns.key_pressed(13)
    assert turns.check_silence(17.9) is None
    assert turns.check_silence(18) is SilenceAction.REPROMPT


def test_no_time_out_while_the_bot_speaks_or_the_caller_talks():
    turns = TurnTaking(silence_timeout_s=1)
    turns.start(0)
    turns.bot_busy()
    assert turns.floor is Floor.BOT and turns.check_silence(50) is None
    turns.bot_done(50)
    assert turns.check_silence(50.5) is None
    turns.speech_started(50.6)
    assert turns.floor is Floor.CALLER and turns.check_silence(99) is None
    turns.speech_ended(99)
    assert turns.check_silence(100) is SilenceAction.REPROMPT


def test_waiting_for_an_agent_suspends_the_time_out():
    turns = TurnTaking(silence_timeout_s=1)
    turns.start(0)
    turns.waiting_for_agent = True
    assert turns.check_silence(600) is None


def test_barge_in_only_while_the_bot_speaks_interruptibly():
    turns = TurnTaking()
    turns.start(0)
    assert turns.speech_started(1) is False  # nobody else was speaking
    turns.speech_ended(2)
    turns.bot_busy(interruptible=True)
    assert turns.speech_started(3) is True and turns.floor is Floor.CALLER
    turns.speech_ended(4)
    turns.bot_busy(interruptible=False)  # a goodbye is not interrupted
    assert turns.speech_started(5) is False and turns.floor is Floor.BOT
    turns.bot_done(6)
    turns.bot_busy()
    assert turns.speech_started(7, allow_barge_in=False) is False  # keypad-only calls


def test_dtmf_zero_first_is_a_human():
    keys = DtmfCollector()
    assert keys.press("0", 0).action is KeyAction.HUMAN


def test_dtmf_digits_then_hash_make_a_number():
    keys = DtmfCollector()
    result = None
    for i, key in enumerate("26112100042#"):
        result = keys.press(key, i * 0.3)
    assert result.action is KeyAction.NUMBER and result.digits == "26112100042"
    assert result.ticket == "26112100042"
    assert not keys.pending


def test_dtmf_zero_inside_a_number_is_a_digit_and_star_starts_over():
    keys = DtmfCollector()
    for key in "2610":
        assert keys.press(key, 0) is None
    assert keys.press("*", 0) is None and not keys.pending
    for key in "123":
        keys.press(key, 0)
    result = keys.press("#", 0)
    assert result.digits == "123" and result.ticket is None


def test_dtmf_pause_submits_the_digits():
    keys = DtmfCollector(timeout_s=5)
    for key in "26112100042":
        keys.press(key, 1)
    assert keys.check_timeout(5.9) is None
    result = keys.check_timeout(6)
    assert result.action is KeyAction.NUMBER and result.digits == "26112100042"
    assert keys.check_timeout(20) is None


def test_dtmf_lone_hash_and_letters_do_nothing_and_too_many_digits_are_refused():
    keys = DtmfCollector(max_digits=5)
    assert keys.press("#", 0) is None
    assert keys.press("A", 0) is None
    for key in "12345":
        assert keys.press(key, 0) is None
    assert keys.press("6", 0).action is KeyAction.INVALID
    assert not keys.pending
