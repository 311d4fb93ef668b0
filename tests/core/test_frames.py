"""Frames are read exactly as docs/protocol.md writes them: an integer field
takes a JSON integer and nothing that merely converts to one (``true`` is not
1, ``"1"`` is not 1), and a frame without a ``type`` is a bad frame."""
from __future__ import annotations

import json
from typing import Any

import pytest

from core.chat.frames import FrameError, parse

#: Each integer field of each frame, in a frame that is valid as it stands.
INTEGER_FIELDS: list[tuple[bool, dict[str, Any], str]] = [
    (False, {"type": "hello", "site_key": "sk", "after_seq": 3}, "after_seq"),
    (False, {"type": "rate", "conversation_id": 7, "score": 5}, "conversation_id"),
    (False, {"type": "rate", "conversation_id": 7, "score": 5}, "score"),
    (True, {"type": "message", "conversation_id": 7, "client_id": "c", "text": "hi"}, "conversation_id"),
    (True, {"type": "resume", "conversation_id": 7, "after_seq": 3}, "conversation_id"),
    (True, {"type": "resume", "conversation_id": 7, "after_seq": 3}, "after_seq"),
    (True, {"type": "take", "conversation_id": 7}, "conversation_id"),
    (True, {"type": "assign", "conversation_id": 7, "agent_id": 2}, "agent_id"),
    (True, {"type": "note", "conversation_id": 7, "client_id": "c", "text": "hi"}, "conversation_id"),
    (True, {"type": "typing", "conversation_id": 7}, "conversation_id"),
    (True, {"type": "read", "conversation_id": 7, "seq": 3}, "seq"),
]
#: What lax parsing would turn into an integer, and what is out of range for every one of them.
NOT_INTEGERS = [True, False, "1", "3", 1.0, 2.5, None, [1], {"n": 1}, -1, 2**31, 10**30]


@pytest.mark.parametrize("agent, frame, field", INTEGER_FIELDS)
def test_integer_fields_take_json_integers_only(agent: bool, frame: dict[str, Any], field: str) -> None:
    assert getattr(parse(json.dumps(frame), agent=agent), field) == frame[field]
    for value in NOT_INTEGERS:
        with pytest.raises(FrameError) as refused:
            parse(json.dumps({**frame, field: value}), agent=agent)
        assert refused.value.code == "bad_frame", (field, value)
        assert field in refused.value.message


@pytest.mark.parametrize("agent", [False, True])
def test_a_frame_without_a_string_type_is_a_bad_frame(agent: bool) -> None:
    for frame in ({"no": "type"}, {"type": None}, {"type": 5}, {"type": ["ping"]}):
        with pytest.raises(FrameError) as refused:
            parse(json.dumps(frame), agent=agent)
        assert refused.value.code == "bad_frame", frame
        assert "type" in refused.value.message
    with pytest.raises(FrameError) as unknown:
        parse(json.dumps({"type": "dance"}), agent=agent)
    assert unknown.value.code == "unknown_frame"
