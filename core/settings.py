"""One Settings object for the gateway runtime, read from the environment."""

from functools import cached_property
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.secrets import load_or_create_secret

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Environment variables use the HOTLINE_ prefix (DATABASE_URL also works unprefixed)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    rasa_port: int = 5005
    action_port: int = 5055
    audiosocket_port: int = 9092
    rasa_url: str | None = None
    action_server_url: str | None = None
    var_dir: Path = PROJECT_ROOT / "var"
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "HOTLINE_DATABASE_URL")
    )
    rasa_endpoints: Path = PROJECT_ROOT / "endpoints.yml"
    engine_timeout_s: float = 15.0
    engine_max_in_flight: int = 8
    health_timeout_s: float = 2.0
    max_text_chars: int = 2000
    max_frame_bytes: int = 4 * 1024 * 1024
    # Keys for the ticket APIs (Open311 POST, /api/tickets), comma-separated. Never a built-in
    # default: without this variable one key is generated into var/secrets/api_key.
    api_keys: str | None = None
    # A category classifier trained with `hotline classifier train` (default: the built-in one).
    classifier_model: Path | None = None
    # External ticket system that receives every new work order (off when unset).
    outbox_url: str | None = None
    outbox_format: str = Field(default="json", pattern="^(json|open311)$")
    outbox_api_key: str | None = None

    @cached_property
    def rasa_base_url(self) -> str:
        return (self.rasa_url or f"http://127.0.0.1:{self.rasa_port}").rstrip("/")

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
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'hotline.db'}"
