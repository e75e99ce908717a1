"""`make run` refuses a port it cannot serve on at once, with what to do (issue 12 §4: the
embedded default), instead of its supervisor restarting a web server or a sandbox that cannot
bind, in a loop."""

from __future__ import annotations

import socket

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sandbox_port(monkeypatch) -> int:
    port = _free_port()
    monkeypatch.setenv("KEEL_SANDBOX_PORT", str(port))
    return port


def test_keel_on_the_sandbox_port_is_refused(sandbox_port):
    with pytest.raises(CommandError, match="sandbox partners' port"):
        call_command("run_keel", port=str(sandbox_port))


@pytest.mark.parametrize("port", ["abc", "0", "70000", "80 80", ""])
def test_a_port_that_is_no_number_is_refused(sandbox_port, port):
    with pytest.raises(CommandError, match="not a port number"):
        call_command("run_keel", port=port)


def test_a_bad_sandbox_port_is_refused(monkeypatch):
    monkeypatch.setenv("KEEL_SANDBOX_PORT", "sandbox")
    with pytest.raises(CommandError, match="KEEL_SANDBOX_PORT='sandbox' is not a port number"):
        call_command("run_keel", port=str(_free_port()))


@pytest.mark.parametrize("which", ["keel", "sandbox"])
def test_a_port_something_listens_on_is_refused(sandbox_port, monkeypatch, which):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        port = busy if which == "keel" else _free_port()
        if which == "sandbox":
            monkeypatch.setenv("KEEL_SANDBOX_PORT", str(busy))
        with pytest.raises(CommandError, match=f"Port {busy} on 127.0.0.1 is already in use"):
            call_command("run_keel", port=str(port))
