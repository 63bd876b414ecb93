"""`signals users add|list` and `signals serve`, as a user runs them."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from signals.cli import app
from signals.store.engine import make_engine
from signals.store.models_web import User
from signals.web.passwords import verify_password


def test_users_add_stores_an_argon2_hash(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["--db", str(db), "users", "add", "mara", "--role", "marketer", "--password-stdin"],
        input="a long secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "added user mara (marketer)" in result.output
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        user = session.execute(select(User)).scalar_one()
    engine.dispose()
    assert user.password_hash.startswith("$argon2id$")
    assert "a long secret" not in user.password_hash
    assert verify_password(user.password_hash, "a long secret")
    assert not verify_password(user.password_hash, "a long secreT")
    listed = runner.invoke(app, ["--db", str(db), "users", "list"])
    assert listed.output.strip() == "mara\tmarketer"


def test_users_add_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    runner = CliRunner()
    cases = [
        (
            ["users", "add", "x", "--role", "boss", "--password-stdin"],
            "a long secret\n",
            "error: unknown role 'boss'; use one of: admin, marketer, community-manager",
        ),
        (
            ["users", "add", "x", "--role", "admin", "--password-stdin"],
            "short\n",
            "error: the password must have at least 8 characters",
        ),
    ]
    for args, stdin, expected in cases:
        result = runner.invoke(app, ["--db", db, *args], input=stdin)
        assert result.exit_code == 2
        assert result.output.strip().splitlines()[-1] == expected
    ok = ["--db", db, "users", "add", "x", "--role", "admin", "--password-stdin"]
    assert runner.invoke(app, ok, input="a long secret\n").exit_code == 0
    again = runner.invoke(app, ok, input="a long secret\n")
    assert again.exit_code == 2
    assert "error: user 'x' already exists; pick another name" in again.output


def test_serve_answers_on_the_given_port(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    signals = Path(sys.executable).with_name("signals")
    command = [str(signals), "--db", str(tmp_path / "s.db"), "serve", "--port", str(port)]
    log = tmp_path / "serve.log"
    with log.open("wb") as out, subprocess.Popen(command, stdout=out, stderr=out) as process:
        _wait_and_check(process, port, log)
        process.terminate()
        process.wait(timeout=10)


def _wait_and_check(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "signals serve did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert "Log in" in response.text
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2).status_code == 200
    except BaseException:
        process.kill()
        raise
