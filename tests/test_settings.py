"""Configuration: the shipped file is valid, the environment overrides, bad files give one line + exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from prokai.cli import app
from prokai.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_config_is_valid_and_matches_defaults() -> None:
    settings = load_settings(ROOT / "config.yaml", environ={})
    assert settings.scheduler.timezone == "Asia/Almaty"
    assert settings.database_url.startswith("sqlite:///")


def test_every_section_is_commented_in_config_yaml() -> None:
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    settings = load_settings(ROOT / "config.yaml", environ={})
    for section in settings.model_dump(exclude={"source"}):
        assert f"\n{section}:" in f"\n{text}", f"config.yaml lacks section {section}"


def test_environment_overrides_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("crawl:\n  max_depth: 1\n", encoding="utf-8")
    env = {"PROKAI_CRAWL__MAX_DEPTH": "3", "PROKAI_DATABASE__URL": "postgresql+psycopg://x@h/db"}
    settings = load_settings(cfg, environ=env)
    assert settings.crawl.max_depth == 3
    assert settings.database_url == "postgresql+psycopg://x@h/db"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "simbox:\n  ports:\n    - {path: /dev/a}\n    - {path: /dev/b}\n    - {path: /dev/c, baudrate: fast}\n",
            'c.yaml: simbox.ports[2].baudrate: expected an integer, got "fast"',
        ),
        ("crawl:\n  max_dept: 3\n", "c.yaml: crawl.max_dept: unknown key"),
        ("crawl:\n  max_depth: [1,\n", "c.yaml: line 3, column 1: YAML syntax error"),
        ("scheduler:\n  sweep_time: '25:00'\n", "c.yaml: scheduler.sweep_time: expected HH:MM"),
        ("review:\n  bot_token: '123:abc'\n", "c.yaml: review.bot_token: secrets do not belong in the config file"),
        ("- a\n- b\n", "c.yaml: <root>: expected a mapping"),
    ],
)
def test_bad_config_one_line_exit_2(tmp_path: Path, content: str, expected: str) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, environ={})
    assert expected in str(err.value)
    assert "\n" not in str(err.value)

    result = CliRunner().invoke(app, ["--config", str(cfg), "db", "status"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]
    assert "Traceback" not in result.output


def test_missing_config_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--config", str(tmp_path / "nope.yaml"), "db", "status"])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {tmp_path / 'nope.yaml'}: file not found"


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^environment: PROKAI_CRAWL__MAX_DEPTH: expected an integer"):
        load_settings(None, environ={"PROKAI_CRAWL__MAX_DEPTH": "deep"})


def test_scheduler_callables_named_before_the_daemon_moved_still_resolve() -> None:
    import importlib

    from prokai.config import SchedulerSettings

    old = SchedulerSettings(sweep_callable="prokai.network.jobs:sweep_and_update",
                            archive_callable="prokai.review.sweeps:refresh_archives")
    for ref in (old.sweep_callable, old.archive_callable, SchedulerSettings().sweep_callable):
        module, _, name = ref.partition(":")
        assert callable(getattr(importlib.import_module(module), name)), ref


def test_prokai_config_names_the_file_and_is_no_setting(tmp_path: Path) -> None:
    from prokai.config import load_settings

    cfg = tmp_path / "other.yaml"
    cfg.write_text("crawl:\n  max_depth: 3\n", encoding="utf-8")
    settings = load_settings(environ={"PROKAI_CONFIG": str(cfg), "PROKAI_SANDBOX_BOT_URL": "http://127.0.0.1:1"})
    assert settings.crawl.max_depth == 3
