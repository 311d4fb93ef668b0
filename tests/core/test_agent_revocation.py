"""Agent credentials can be revoked and rotated; an agent of a deactivated shop
cannot connect; a live agent socket whose credential stopped working is closed
at the next re-check (``agent_revoked``)."""
from __future__ import annotations

import re

import pytest
import websocket

from core.agents import authenticate, create_agent, revoke_agent, rotate_agent
from core.db import Agent, Database, Shop
from core.errors import BadInput, NotFound
from tests.core.test_cli import Cli, cli  # noqa: F401 - the fixture
from tests.wsclient import AgentClient

#: Seconds between re-checks in these tests (30 by default).
RECHECK = 0.5


@pytest.fixture
def fast_recheck(settings) -> None:  # type: ignore[no-untyped-def]
    settings.agent_recheck_seconds = RECHECK


def _refused(base_url: str, credential: str) -> dict:  # type: ignore[type-arg]
    agent = AgentClient(base_url)
    try:
        agent.send({"type": "hello", "credential": credential})
        error = agent.expect("error")
        assert error["fatal"] is True
        with pytest.raises((ConnectionError, websocket.WebSocketConnectionClosedException)):
            agent.recv(timeout=5)
        return error
    finally:
        agent.close()


def _deactivate(db: Database, shop_id: int) -> None:
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        shop.active = False


def test_a_revoked_credential_is_refused_at_connect(base_url, db, shop) -> None:  # type: ignore[no-untyped-def]
    agent, credential = create_agent(db, shop.id, "Alex")
    AgentClient(base_url).hello(credential)  # works before
    revoke_agent(db, agent.id)
    assert _refused(base_url, credential)["code"] == "bad_credential"


def test_a_rotated_credential_is_refused_and_the_new_one_works(base_url, db, shop) -> None:  # type: ignore[no-untyped-def]
    agent, old = create_agent(db, shop.id, "Alex")
    _, new = rotate_agent(db, agent.id)
    assert new != old
    assert _refused(base_url, old)["code"] == "bad_credential"
    client = AgentClient(base_url)
    assert client.hello(new)["agent"]["id"] == agent.id
    client.close()


def test_an_agent_of_a_deactivated_shop_is_refused_at_connect(base_url, db, shop) -> None:  # type: ignore[no-untyped-def]
    _, credential = create_agent(db, shop.id, "Alex")
    _deactivate(db, shop.id)
    assert _refused(base_url, credential)["code"] == "shop_inactive"


@pytest.mark.parametrize("change", ["revoke", "rotate", "deactivate"])
def test_a_live_socket_is_closed_when_its_credential_stops_working(
    fast_recheck, base_url, db, shop, change: str  # type: ignore[no-untyped-def]
) -> None:
    agent, credential = create_agent(db, shop.id, "Alex")
    _, bystander_credential = create_agent(db, shop.id, "Sam")
    client, bystander = AgentClient(base_url), AgentClient(base_url)
    client.hello(credential)
    bystander.hello(bystander_credential)
    if change == "revoke":
        revoke_agent(db, agent.id)
    elif change == "rotate":
        rotate_agent(db, agent.id)
    else:
        _deactivate(db, shop.id)
    error = client.expect("error", timeout=RECHECK + 5)
    assert (error["code"], error["fatal"]) == ("agent_revoked", True)
    with pytest.raises((ConnectionError, websocket.WebSocketConnectionClosedException)):
        client.recv(timeout=5)
    if change != "deactivate":  # the other agent of the shop goes on
        bystander.none_of("error", wait=RECHECK * 4)
        bystander.send({"type": "ping"})
        bystander.expect("pong")
    bystander.close()


def test_the_close_carries_the_policy_code_and_the_reason(fast_recheck, base_url, db, shop) -> None:  # type: ignore[no-untyped-def]
    agent, credential = create_agent(db, shop.id, "Alex")
    client = AgentClient(base_url)
    client.hello(credential)
    revoke_agent(db, agent.id)
    client.expect("error", lambda f: f["code"] == "agent_revoked", timeout=RECHECK + 5)
    client.ws.settimeout(5)
    opcode, data = client.ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(data[:2], "big") == 1008 and data[2:] == b"agent_revoked"


# -- the CLI -----------------------------------------------------------------------


def test_storechat_agent_revoke_and_rotate(cli: Cli, db: Database, shop) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    agent, credential = create_agent(db, shop.id, "Alex")

    rotated = cli("agent", "rotate", str(agent.id))
    assert rotated.exit_code == 0, rotated.output
    match = re.fullmatch(r"agent id: (\d+)\ncredential: (sca_[A-Za-z0-9_-]{40,})\n", rotated.stdout)
    assert match and int(match.group(1)) == agent.id
    assert authenticate(db, match.group(2)).id == agent.id
    with pytest.raises(Exception, match="not valid"):
        authenticate(db, credential)

    listed = cli("agent", "list", str(shop.id))
    assert listed.exit_code == 0 and f"{agent.id}\tactive\tAlex" in listed.stdout

    revoked = cli("agent", "revoke", str(agent.id))
    assert revoked.exit_code == 0, revoked.output
    assert revoked.stdout == f"agent {agent.id} (Alex) is revoked; its live sockets close within 30 s\n"
    with db.session() as session:
        assert session.get(Agent, agent.id).active is False  # type: ignore[union-attr]
    with pytest.raises(Exception, match="not valid"):
        authenticate(db, match.group(2))
    assert f"{agent.id}\trevoked\tAlex" in cli("agent", "list", str(shop.id)).stdout

    again = cli("agent", "rotate", str(agent.id))
    assert again.exit_code == 1 and "revoked" in again.stderr
    missing = cli("agent", "revoke", "999999")
    assert missing.exit_code == 1 and missing.stderr == "Error: agent 999999 does not exist\n"


def test_revoking_or_rotating_a_missing_agent_is_a_clear_error(db: Database) -> None:
    with pytest.raises(NotFound):
        revoke_agent(db, 424242)
    with pytest.raises(NotFound):
        rotate_agent(db, 424242)


def test_a_revoked_agent_cannot_be_rotated_back(db: Database, shop) -> None:  # type: ignore[no-untyped-def]
    agent, _ = create_agent(db, shop.id, "Alex")
    revoke_agent(db, agent.id)
    with pytest.raises(BadInput):
        rotate_agent(db, agent.id)
