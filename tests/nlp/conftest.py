"""Fixtures for the NLP tests: the shipped model folder and a network that refuses every socket."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"


class NetworkBlocked(RuntimeError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any attempt to open a network connection raises (local files only)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise NetworkBlocked(f"network access attempted: {args!r}")

    class BlockedSocket(socket.socket):
        def connect(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
            refuse(*args)

        def connect_ex(self, *args: object, **kwargs: object) -> int:  # type: ignore[override]
            refuse(*args)
            return 1

    monkeypatch.setattr(socket, "socket", BlockedSocket)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield


@pytest.fixture(scope="session")
def shipped_classifier():  # type: ignore[no-untyped-def]
    """The classifier over the committed `models/` (loaded once for the session)."""
    from prokai.nlp.infer import Classifier

    return Classifier(MODELS)
