"""The LLM API key is sealed at rest like every credential: a plain key is
still used and sealed at its first use, a sealed key reaches the model server,
``rotate-credentials`` covers it, and a key that cannot be decrypted is a
clear configuration problem (the built-in engine answers)."""
from __future__ import annotations

import json
import uuid
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import select

from core.assistant import service
from core.assistant.engine import resolve_engine
from core.assistant.llm import sealed_key
from core.assistant.openai_engine import OpenAIEngine
from core.chat import messages
from core.db import Database, Message, Shop
from core.security.credentials import SEALED, Credentials
from core.services import Services
from core.settings import Settings
from core.shop_connectors import rotate_credentials
from tests.core.test_openai_engine import demo, fake, settings_for  # noqa: F401 - fixtures
from tests.fakes.chat_completions import FakeChatServer, reply

KEY = "sk-test-secret-123"


def _stored_row(db: Database, shop_id: int) -> str:
    """Everything stored of the shop, as text."""
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        return json.dumps({"settings": shop.settings, "config": shop.connector_config})


def _set_assistant(db: Database, shop_id: int, config: dict[str, Any]) -> None:
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        shop.settings = {**(shop.settings or {}), "assistant": config}


def test_a_plain_key_is_used_and_sealed_at_first_use(db: Database, demo: int, fake: FakeChatServer) -> None:  # noqa: F811
    _set_assistant(db, demo, settings_for(fake))
    assert KEY in _stored_row(db, demo)  # as an operator may have written it
    with db.session() as session:
        engine = resolve_engine(session.get(Shop, demo))  # type: ignore[arg-type]
        assert isinstance(engine, OpenAIEngine) and engine.config is not None
        assert engine.config.api_key == KEY
    stored = _stored_row(db, demo)
    assert KEY not in stored and SEALED in stored
    with db.session() as session:  # and read sealed from then on
        engine = resolve_engine(session.get(Shop, demo))  # type: ignore[arg-type]
        assert engine.config is not None and engine.config.api_key == KEY  # type: ignore[attr-defined]


def test_a_sealed_key_reaches_the_model_server(settings: Settings, db: Database, redis, demo: int,  # type: ignore[no-untyped-def]  # noqa: F811
                                               fake: FakeChatServer) -> None:  # noqa: F811
    _set_assistant(db, demo, sealed_key.seal(Credentials.from_settings(settings), settings_for(fake)))
    assert KEY not in _stored_row(db, demo)
    conversation = messages.start_conversation(db, demo, uuid.uuid4().hex)
    stored = messages.append_message(db, conversation.id, author="visitor", text="hello, who are you?")
    fake.push(reply("Hi! I'm Mia. How can I help?"))
    svc = Services(settings)
    try:
        service.answer(svc, conversation.id, stored.message.seq)
    finally:
        svc.close()
    assert fake.chat_requests[0].headers.get("authorization") == f"Bearer {KEY}"
    with db.session() as session:
        answer = session.scalar(select(Message).where(Message.conversation_id == conversation.id,
                                                      Message.author == "assistant"))
        assert answer is not None and answer.payload["engine"] == "openai"
    assert KEY not in _stored_row(db, demo)


def test_rotate_credentials_seals_plain_keys_and_re_encrypts_sealed_ones(
    settings: Settings, db: Database, demo: int, fake: FakeChatServer  # noqa: F811
) -> None:
    with db.session() as session:
        other = Shop(name="Other", platform="csv", site_key="sk_other", connector_config={},
                     settings={"assistant": sealed_key.seal(Credentials.from_settings(settings),
                                                            settings_for(fake, api_key="sk-other-456"))})
        session.add(other)
        session.flush()
        other_id = other.id
    _set_assistant(db, demo, settings_for(fake))  # plain
    new = Fernet.generate_key().decode()
    settings.credentials_key = new
    assert rotate_credentials(db) == 2
    for shop_id, key in ((demo, KEY), (other_id, "sk-other-456")):
        assert key not in _stored_row(db, shop_id)
        with db.session() as session:
            shop = session.get(Shop, shop_id)
            assert shop is not None
            assert Credentials([new]).open(shop.settings["assistant"])["api_key"] == key


def test_a_key_that_cannot_be_decrypted_is_a_clear_problem(settings: Settings, db: Database, demo: int,  # noqa: F811
                                                           fake: FakeChatServer) -> None:  # noqa: F811
    foreign = Credentials([Fernet.generate_key()])
    _set_assistant(db, demo, sealed_key.seal(foreign, settings_for(fake)))
    with db.session() as session:
        engine = resolve_engine(session.get(Shop, demo))  # type: ignore[arg-type]
    assert isinstance(engine, OpenAIEngine) and engine.config is None
    assert engine.problem is not None and "cannot be decrypted" in engine.problem
