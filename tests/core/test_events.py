import pytest
from pydantic import ValidationError

from agenthost.events import (
    Artifact,
    FilePart,
    Message,
    MessageDelta,
    RunCompleted,
    RunInput,
    TextPart,
    ToolCall,
    event_adapter,
    is_terminal,
    merge_deltas,
    parse_event,
)


def test_every_event_round_trips_through_json() -> None:
    events = [
        MessageDelta(run_id="r_1", seq=1, message_id="m_1", text="Hel"),
        ToolCall(run_id="r_1", seq=2, call_id="c_1", name="run_python", arguments={"code": "1+1"}),
        Artifact(run_id="r_1", seq=3, part=FilePart(name="p.png", mime_type="image/png",
                                                     bytes=b"\x89PNG\x00\xff")),
        RunCompleted(run_id="r_1", seq=4, output=[Message.text("hi", role="assistant")]),
    ]
    for event in events:
        assert parse_event(event.model_dump_json()) == event


def test_file_bytes_travel_as_base64() -> None:
    part = FilePart(bytes=b"\x00\x01binary")
    data = part.model_dump(mode="json")
    assert data["bytes"] == "AAFiaW5hcnk="
    assert FilePart.model_validate(data).bytes == b"\x00\x01binary"


def test_union_rejects_unknown_type_and_extra_fields() -> None:
    with pytest.raises(ValidationError):
        event_adapter.validate_python({"type": "run.exploded", "run_id": "r", "seq": 0})
    with pytest.raises(ValidationError):
        parse_event({"type": "message.delta", "text": "x", "surprise": 1})


def test_terminal_events_are_recognised() -> None:
    assert is_terminal(RunCompleted())
    assert not is_terminal(MessageDelta(text="x"))


def test_run_input_text_is_last_user_message() -> None:
    run_input = RunInput(messages=[
        Message.text("first"), Message(role="assistant", parts=[TextPart(text="reply")]),
        Message.text("second"),
    ])
    assert run_input.text == "second"


def test_merge_deltas_joins_consecutive_text_of_one_message() -> None:
    batch = [
        MessageDelta(seq=1, message_id="m1", text="a"),
        MessageDelta(seq=2, message_id="m1", text="b"),
        ToolCall(seq=3, call_id="c", name="t"),
        MessageDelta(seq=4, message_id="m1", text="c"),
        MessageDelta(seq=5, message_id="m2", text="d"),
    ]
    merged = merge_deltas(batch)
    assert [(e.type, getattr(e, "text", None), e.seq) for e in merged] == [
        ("message.delta", "ab", 2), ("tool.call", None, 3),
        ("message.delta", "c", 4), ("message.delta", "d", 5),
    ]
    assert batch[0].text == "a"  # the run's own events are left as they were
