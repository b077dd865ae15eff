"""Settings: `config.yaml`, then `PROKAI_*` environment overrides, validated with pydantic.

Overrides use `__` between nesting levels: `PROKAI_DATABASE__URL=postgresql+psycopg://…` sets
`database.url`, `PROKAI_LOGGING__LEVEL=DEBUG` sets `logging.level`. Values are parsed as YAML
scalars, so `PROKAI_CRAWL__MAX_DEPTH=3` is an integer.

Secrets (vault key, bot token, 2FA password lists) never live in `config.yaml`: the file only
names where they are (`secrets.*_file`) and the environment may carry them directly
(`PROKAI_VAULT_KEY`, `PROKAI_BOT_TOKEN`). `load_secret` reads them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENV_PREFIX = "PROKAI_"
DEFAULT_CONFIG_NAME = "config.yaml"
SECRET_ENV = {"vault_key": "PROKAI_VAULT_KEY", "bot_token": "PROKAI_BOT_TOKEN", "api_hash": "PROKAI_API_HASH"}
# Secret variables read directly by their module (never config overrides): old vault keys for a
# rekey, and the passphrase of a session export.
OTHER_SECRET_ENV = ("PROKAI_VAULT_OLD_KEYS", "PROKAI_TRANSFER_PASSPHRASE")
# PROKAI_ variables that are not settings: which file to read, where the sandbox's Bot API is.
NOT_SETTINGS_ENV = ("PROKAI_CONFIG", "PROKAI_SANDBOX_BOT_URL")
_SECRET_KEY_RE = re.compile(r"(^|_)(token|password|passwords|secret|key|api_hash)$")


MAX_CONFIG_BYTES = 1 << 20  # a config file is small: more is a mistake or an attack
MAX_CONFIG_LINE = 10_000
MAX_YAML_DEPTH = 64


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without aliases (`*name`, `<<: *name`: a billion laughs expands them exponentially)
    and without absurd nesting."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed",
                                              self.peek_event().start_mark)
        depth = getattr(self, "_depth", 0)
        if depth > MAX_YAML_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_YAML_DEPTH} levels",
                                              self.peek_event().start_mark)
        self._depth = depth + 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth = depth


def load_yaml(text: str) -> Any:
    """`text` as YAML, safely and boundedly: no aliases, no deep nesting, no overlong lines
    (raises yaml.YAMLError)."""
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > MAX_CONFIG_LINE:
            raise yaml.YAMLError(f"line {number}: longer than {MAX_CONFIG_LINE} characters")
    return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass


class ConfigError(Exception):
    """A configuration problem, already phrased as the one line the user sees."""


class Section(BaseModel):
    """Base of every config section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DatabaseSettings(Section):
    url: str | None = None
    echo: bool = False


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_lines: bool = False


class SecretsSettings(Section):
    vault_key_file: Path | None = None
    bot_token_file: Path | None = None
    passwords_file: Path | None = None
    api_hash_file: Path | None = None


class PortSettings(Section):
    path: str
    baudrate: int = 115200
    usb_path: str | None = None
    imei: str | None = None
    profile: str | None = None


class SimBankSettings(Section):
    control_port: str
    baudrate: int = 115200
    switch_interval_s: float = 1.0


class SimboxSettings(Section):
    name: str = "simbox-1"
    ports: list[PortSettings] = Field(default_factory=list)
    discover: bool = True
    command_timeout_s: float = 5.0
    sms_sweep_interval_s: float = 60.0
    sim_bank: SimBankSettings | None = None


class TelegramSettings(Section):
    api_id: int = 2040
    dc_id: int = 2
    host: str | None = None
    port: int | None = None
    server_key_file: Path | None = None
    device_model: str = "Samsung SM-A525F"
    system_version: str = "Android 13"
    app_version: str = "10.14.5"
    lang_code: str = "ru"


class DeviceSettings(Section):
    device_model: str
    system_version: str
    app_version: str
    lang_code: str = "ru"
    system_lang_code: str = "ru-RU"


class AccountsSettings(Section):
    login_concurrency: int = Field(default=4, ge=1)
    login_concurrency_per_modem: int = Field(default=1, ge=1)
    max_2fa_tries: int = Field(default=3, ge=0)
    sms_code_timeout_s: float = Field(default=120.0, gt=0)
    proxies: dict[str, str] = Field(default_factory=dict)
    devices: list[DeviceSettings] = Field(default_factory=list)
    lease_ttl_s: float = Field(default=300.0, gt=0)
    peer_flood_cooldown_s: float = Field(default=86400.0, ge=0)
    connection_retries: int = Field(default=5, ge=0)
    retry_delay_s: float = Field(default=1.0, ge=0)
    watchdog_interval_s: float = Field(default=10.0, gt=0)
    watchdog_max_backoff_s: float = Field(default=300.0, gt=0)
    archive_media: bool = True
    archive_ocr: bool = True
    archive_page_size: int = Field(default=100, ge=1)


class CrawlSettings(Section):
    region: str = "Алматы"
    max_depth: int = Field(default=2, ge=0)
    max_steps_per_conversation: int = Field(default=40, ge=1)
    max_conversation_minutes: float = Field(default=30.0, gt=0)
    daily_cap_per_account: int = Field(default=30, ge=1)
    min_delay_s: float = Field(default=2.0, ge=0)
    max_delay_s: float = Field(default=8.0, ge=0)
    # Pause before asking the same shop for its next payment method (a new order), seconds.
    order_gap_s: float = Field(default=660.0, ge=0)


class ReviewerSettings(Section):
    telegram_id: int
    name: str
    role: Literal["prosecutor", "operator", "admin"] = "prosecutor"


class ReviewSettings(Section):
    admin_chat_id: int | None = None
    language: Literal["ru", "kk", "en"] = "ru"
    bot_api_url: str | None = None
    reviewers: list[ReviewerSettings] = Field(default_factory=list)
    # Seconds between checks for new requisites to notify; items per /pending page.
    notify_interval_s: float = Field(default=30.0, gt=0)
    page_size: int = Field(default=5, ge=1, le=20)
    # Prometheus metrics endpoint of `prokai run` (port null: no endpoint).
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=9464, ge=0, le=65535)


# Modules that moved, for the "module:function" settings written before the move.
MOVED_MODULES = {
    "prokai.review.sweeps": "prokai.daemon.sweeps",
    "prokai.network.jobs": "prokai.daemon.network_jobs",
    "prokai.review.service": "prokai.daemon.service",
}


class SchedulerSettings(Section):
    timezone: str = "Asia/Almaty"
    sweep_time: str = "03:00"
    misfire_grace_s: int = Field(default=3600, ge=0)
    # Daily refresh of the seized accounts' archives (null: off) and the health-check interval.
    archive_time: str | None = "05:00"
    health_interval_min: int = Field(default=15, ge=0)
    # What runs as the sweep and the archive refresh ("module:function", imported when due).
    sweep_callable: str = "prokai.daemon.network_jobs:sweep_and_update"  # the sweep, then the network update
    archive_callable: str = "prokai.daemon.sweeps:refresh_archives"
    # Classifier the nightly sweep's conversations use: transformer (models/) or keywords.
    sweep_model: Literal["transformer", "keywords"] = "transformer"
    # Seconds a stopping `prokai run` waits for the current unit of work before cancelling it.
    shutdown_timeout_s: float = Field(default=60.0, gt=0)

    @field_validator("sweep_callable", "archive_callable")
    @classmethod
    def _moved(cls, value: str) -> str:
        # Callables named before the daemon left the admin bot's package (issue 17) still run.
        module, _, name = value.partition(":")
        return f"{MOVED_MODULES.get(module, module)}:{name}" if name else value

    @field_validator("sweep_time", "archive_time")
    @classmethod
    def _hh_mm(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("expected HH:MM")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone") from None
        return value


class NlpSettings(Section):
    model_dir: Path = Path("models")
    batch_size: int = Field(default=32, ge=1)
    shop_threshold: float = Field(default=0.5, ge=0, le=1)


class EvidenceSettings(Section):
    # RFC 3161 time-stamping authority for chain anchors and bundles (null: none, say so).
    tsa_url: str | None = None
    # CA certificate (PEM) that issued the TSA's certificate: checks replies, goes into bundles.
    tsa_ca_file: Path | None = None
    tsa_timeout_s: float = Field(default=30.0, gt=0)
    # Anchor file (JSON lines) of signed chain heads; null: <data_dir>/evidence/anchors.jsonl.
    anchor_file: Path | None = None


class IntakeSettings(Section):
    # The intake pipeline (prokai.intake): every message from every source goes through these
    # steps, in order ("module:Class", each with a `process(batch)` method).
    steps: list[str] = Field(default_factory=lambda: [
        "prokai.intake.steps:StoreEvidence",
        "prokai.intake.steps:ExtractRequisites",
        "prokai.intake.steps:JudgeShop",
        "prokai.intake.steps:RecordSightings",
        "prokai.intake.discovery:LinkNamedShops",
        "prokai.intake.steps:QueueReview",
    ])
    # Messages a requisite may be split across (the message and the ones before it).
    window: int = Field(default=6, ge=1, le=50)

    @field_validator("steps")
    @classmethod
    def _dotted(cls, value: list[str]) -> list[str]:
        for path in value:
            if not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", path):
                raise ValueError(f"expected module:Class, got {path!r}")
        return value


class SandboxSettings(Section):
    host: str = "127.0.0.1"
    mtproto_port: int = 0
    bot_api_port: int = 0
    scenarios_dir: Path | None = None
    control_socket: Path | None = None  # default: <data_dir>/sandbox.sock


class ClusterSettings(Section):
    """Several nodes on one task queue (`prokai worker`, `prokai campaign run --distributed`).

    Only distributed mode reads it; the single-process default needs no broker."""

    broker_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    queue: str = Field(default="prokai.conversations", min_length=1, max_length=200)
    queue_type: Literal["quorum", "classic"] = "quorum"  # quorum: RabbitMQ's replicated, durable kind
    worker_concurrency: int = Field(default=4, ge=1)  # conversations at once per worker
    prefetch: int = Field(default=0, ge=0)  # deliveries held beyond the running ones
    progress_interval_s: float = Field(default=1.0, gt=0)  # how often the follower reads progress
    # This installation runs on several nodes: the nightly sweep of `prokai run` publishes its jobs
    # for `prokai worker` instead of running them itself, and /metrics reports the queue.
    enabled: bool = False
    # A job out for this long with no worker on it while the queue is empty is published again (a
    # publish that failed after its target was marked queued); duplicates are harmless.
    republish_after_s: float = Field(default=300.0, gt=0)
    # One delivery runs a conversation at most this long (below RabbitMQ's consumer_timeout, 30 min);
    # a longer one is cut and continued by a delayed job, at most `max_slices` times.
    job_time_limit_s: float = Field(default=900.0, gt=0)
    continue_delay_s: float = Field(default=5.0, ge=0)
    max_slices: int = Field(default=4, ge=1)
    # Nodes, `prokai run` leadership and the workers table (`prokai workers`).
    node: str | None = Field(default=None, max_length=128)  # this node's name (default: the host name)
    heartbeat_s: float = Field(default=5.0, gt=0)  # a worker is live while it beat within 3× this
    leader_retry_s: float = Field(default=3.0, gt=0)  # how often a standby `prokai run` tries to lead
    leader_check_s: float = Field(default=2.0, gt=0)  # how often the leader checks its lock's connection


class Settings(Section):
    """The whole configuration. Every section has working embedded defaults."""

    data_dir: Path = Path("data")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
    simbox: SimboxSettings = Field(default_factory=SimboxSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    accounts: AccountsSettings = Field(default_factory=AccountsSettings)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    nlp: NlpSettings = Field(default_factory=NlpSettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)

    source: str = Field(default="<defaults>", exclude=True)

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL; the embedded default is SQLite in the data folder."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'prokai.db').as_posix()}"


def _path_str(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<root>"


_EXPECTED = {
    "int_parsing": "an integer",
    "int_type": "an integer",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "extra_forbidden": None,
    "missing": None,
    "literal_error": None,
}


def _describe(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    got = err.get("input")
    got_text = f"got {yaml.safe_dump(got, default_flow_style=True).strip().removesuffix('...').strip()}"
    if isinstance(got, str):
        got_text = f'got "{got}"'
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    expected = _EXPECTED.get(kind)
    if expected:
        return f"expected {expected}, {got_text}"
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ")
    return f"{msg[0].lower() + msg[1:] if msg else msg}, {got_text}"


def format_validation_error(source: str, exc: ValidationError) -> str:
    """One line: `file: key.path: expected …, got …` (first error, with a count of the rest)."""
    errors = exc.errors()
    first = errors[0]
    line = f"{source}: {_path_str(tuple(first['loc']))}: {_describe(first)}"
    if len(errors) > 1:
        line += f" (and {len(errors) - 1} more)"
    return line


def _parse_scalar(text: str) -> Any:
    try:
        return load_yaml(text) if text.strip() else text
    except yaml.YAMLError:
        return text


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """Nested dict from `PROKAI_SECTION__KEY=value` variables (secrets variables excluded)."""
    tree: dict[str, Any] = {}
    secret_vars = set(SECRET_ENV.values()) | set(OTHER_SECRET_ENV) | set(NOT_SETTINGS_ENV)
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name in secret_vars or name.startswith("PROKAI_TEST_"):
            continue
        parts = [p.lower() for p in name[len(ENV_PREFIX) :].split("__") if p]
        if not parts:
            continue
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"environment: {name}: conflicts with another PROKAI_ variable")
        node[parts[-1]] = _parse_scalar(raw)
    return tree


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _reject_inline_secrets(source: str, data: Any, prefix: str = "") -> None:
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            _reject_inline_secrets(source, value, path)
        elif isinstance(key, str) and _SECRET_KEY_RE.search(key) and not key.endswith("_file"):
            raise ConfigError(
                f"{source}: {path}: secrets do not belong in the config file; "
                f"name a file with {key}_file or use the environment"
            )


def load_settings(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Load `path` (or `./config.yaml` if present, else defaults), then apply the environment.

    Raises ConfigError with a one-line message on any problem.
    """
    environ = os.environ if environ is None else environ
    explicit = path is not None or "PROKAI_CONFIG" in environ
    cfg_path = Path(path or environ.get("PROKAI_CONFIG") or DEFAULT_CONFIG_NAME)
    source = str(path or environ.get("PROKAI_CONFIG") or DEFAULT_CONFIG_NAME)
    data: Any = {}
    if cfg_path.exists():
        try:
            if not cfg_path.is_file():
                raise ConfigError(f"{source}: not a regular file")
            with cfg_path.open("rb") as fh:
                raw = fh.read(MAX_CONFIG_BYTES + 1)
            if len(raw) > MAX_CONFIG_BYTES:
                raise ConfigError(f"{source}: larger than {MAX_CONFIG_BYTES} bytes")
            data = load_yaml(raw.decode("utf-8")) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(f"{source}: {where}YAML syntax error: {problem}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{source}: cannot read: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: <root>: expected a mapping, got {type(data).__name__}")
    elif explicit:
        raise ConfigError(f"{source}: file not found")
    else:
        source = "<defaults>"
    _reject_inline_secrets(source, data)
    overrides = env_overrides(environ)
    merged = _merge(data, overrides)
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        first_loc = tuple(exc.errors()[0]["loc"])
        if _lookup(overrides, first_loc):
            var = ENV_PREFIX + "__".join(str(p).upper() for p in first_loc if isinstance(p, str))
            message = format_validation_error("environment", exc).split(": ", 2)[-1]
            raise ConfigError(f"environment: {var}: {message}") from None
        raise ConfigError(format_validation_error(source, exc)) from None
    settings.source = source
    return settings


def _lookup(tree: Mapping[str, Any], loc: tuple[int | str, ...]) -> bool:
    node: Any = tree
    for part in loc:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return False
    return True


def load_secret(settings: Settings, name: Literal["vault_key", "bot_token", "api_hash"]) -> str | None:
    """A secret from its environment variable, else from the file `secrets.<name>_file` names."""
    env_name = SECRET_ENV[name]
    if os.environ.get(env_name):
        return os.environ[env_name]
    file = getattr(settings.secrets, f"{name}_file")
    if file is None:
        return None
    try:
        return Path(file).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"secrets.{name}_file: cannot read {file}: {exc.strerror}") from None
