"""Hypothesis strategies for request bodies: plausible shapes of each protocol, any JSON in any
slot, and the bytes around them broken (cut, spliced, nested too deep, not UTF-8).

Plausible shapes get past the first validation, so the fuzzing reaches the parsers and the
run machinery behind it; the rest checks that the decoder and validators refuse cleanly.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

WORDS = ["", "echo", "user", "assistant", "system", "tool", "developer", "text", "data",
         "file", "message", "function", "auto", "none", "null", "0", "-1", "\u0000", "../x",
         "ROLE_USER", "TASK_STATE_WORKING", "input_text", "output_text"]
# A lone surrogate now and then: json.dumps writes it as a \udXXX escape, as a hostile client
# would (the decoder must refuse it before any store sees it).
SURROGATES = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1,
                     max_size=2)
TEXT = st.one_of(st.sampled_from(WORDS), st.text(max_size=24), SURROGATES)
NUMBERS = st.one_of(st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
JSON_VALUES: SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=12,
)
URLS = st.sampled_from(["http://127.0.0.1:9/x", "http://10.0.0.1/x", "file:///etc/passwd",
                        "data:text/plain;base64,aGk=", "data:,", "ftp://x", "not a url", ""])
BASE64 = st.sampled_from(["aGk=", "!!", "", "aGk", "iVBORw0KGgo="])


def objects(fields: dict[str, SearchStrategy[Any]], required: tuple[str, ...] = ()) -> Any:
    """Dicts with ``required`` keys and any subset of the rest; each value usually plausible,
    sometimes any JSON; now and then a key nobody expects."""

    def loose(strategy: SearchStrategy[Any]) -> SearchStrategy[Any]:
        return st.one_of(strategy, strategy, strategy, JSON_VALUES)

    known = st.fixed_dictionaries(
        {k: loose(fields[k]) for k in required},
        optional={k: loose(v) for k, v in fields.items() if k not in required},
    )
    extra = st.dictionaries(TEXT, JSON_VALUES, max_size=1)
    return st.builds(lambda a, b: {**b, **a}, known, st.one_of(st.just({}), st.just({}), extra))


MODELS = st.sampled_from(["echo", "echo", "echo", "nobody", ""])

# -- native ----------------------------------------------------------------------------------

NATIVE_PART = objects({"type": st.sampled_from(["text", "data", "file", "image"]), "text": TEXT,
                       "data": JSON_VALUES, "name": TEXT, "mime_type": TEXT, "bytes": BASE64,
                       "uri": URLS})
NATIVE_MESSAGE = objects({"role": st.sampled_from(["user", "assistant", "system", "tool", "x"]),
                          "parts": st.lists(NATIVE_PART, max_size=3), "id": TEXT})
NATIVE_RUN = objects(
    {"messages": st.lists(NATIVE_MESSAGE, max_size=3), "input": TEXT, "session_id": TEXT,
     "user_id": TEXT, "instructions": TEXT, "metadata": st.dictionaries(TEXT, JSON_VALUES,
                                                                        max_size=3),
     "stream": st.booleans(), "background": st.booleans()}
)

# -- OpenAI Responses and Chat Completions ---------------------------------------------------

TOOLS = st.lists(objects({"type": st.sampled_from(["function", "web_search", "x"]), "name": TEXT,
                          "parameters": JSON_VALUES, "function": JSON_VALUES}), max_size=2)
CONTENT_PART = objects({"type": st.sampled_from(["input_text", "input_image", "input_file",
                                                 "output_text", "refusal", "text", "image_url"]),
                        "text": TEXT, "image_url": st.one_of(URLS, objects({"url": URLS})),
                        "file_data": BASE64, "file_url": URLS, "filename": TEXT,
                        "detail": st.sampled_from(["auto", "low", "high"])})
RESPONSES_ITEM = objects({"type": st.sampled_from(["message", "function_call",
                                                   "function_call_output", "reasoning",
                                                   "item_reference"]),
                          "role": st.sampled_from(["user", "assistant", "system", "developer"]),
                          "content": st.one_of(TEXT, st.lists(CONTENT_PART, max_size=3)),
                          "call_id": TEXT, "name": TEXT, "arguments": TEXT, "output": TEXT,
                          "id": TEXT})
RESPONSES_CREATE = objects(
    {"model": MODELS, "input": st.one_of(TEXT, st.lists(RESPONSES_ITEM, max_size=3)),
     "instructions": TEXT, "stream": st.booleans(), "store": st.booleans(),
     "background": st.booleans(), "previous_response_id": TEXT,
     "conversation": st.one_of(TEXT, objects({"id": TEXT})), "tools": TOOLS,
     "tool_choice": st.sampled_from(["auto", "none", "required"]),
     "temperature": NUMBERS, "max_output_tokens": st.integers(-1, 10),
     "metadata": st.dictionaries(TEXT, TEXT, max_size=3),
     "text": objects({"format": objects({"type": st.sampled_from(["text", "json_schema"]),
                                         "schema": JSON_VALUES})}),
     "reasoning": objects({"effort": st.sampled_from(["low", "high"])}),
     "include": st.lists(TEXT, max_size=2), "parallel_tool_calls": st.booleans(),
     "truncation": st.sampled_from(["auto", "disabled"]), "user": TEXT,
     "stream_options": objects({"include_obfuscation": st.booleans()})},
    required=("model",),
)
CHAT_MESSAGE = objects(
    {"role": st.sampled_from(["user", "assistant", "system", "developer", "tool", "function"]),
     "content": st.one_of(st.none(), TEXT, st.lists(CONTENT_PART, max_size=2)), "name": TEXT,
     "tool_calls": st.lists(objects({"id": TEXT, "type": st.just("function"),
                                     "function": objects({"name": TEXT, "arguments": TEXT})}),
                            max_size=2),
     "tool_call_id": TEXT},
    required=("role",),
)
CHAT_CREATE = objects(
    {"model": MODELS, "messages": st.lists(CHAT_MESSAGE, max_size=3), "stream": st.booleans(),
     "stream_options": objects({"include_usage": st.booleans()}), "tools": TOOLS,
     "tool_choice": st.sampled_from(["auto", "none"]), "temperature": NUMBERS,
     "max_tokens": st.integers(-1, 10), "n": st.integers(-1, 3),
     "stop": st.one_of(TEXT, st.lists(TEXT, max_size=2)),
     "response_format": objects({"type": st.sampled_from(["text", "json_object", "json_schema"]),
                                 "json_schema": JSON_VALUES}),
     "metadata": st.dictionaries(TEXT, TEXT, max_size=3), "user": TEXT, "logprobs": st.booleans(),
     "seed": st.integers()},
    required=("model", "messages"),
)

# -- A2A ---------------------------------------------------------------------------------------

A2A_PART_10 = objects({"text": TEXT, "data": JSON_VALUES, "raw": BASE64, "url": URLS,
                       "mediaType": TEXT, "filename": TEXT, "metadata": JSON_VALUES})
A2A_MESSAGE_10 = objects(
    {"messageId": TEXT, "role": st.sampled_from(["ROLE_USER", "ROLE_AGENT", "ROLE_UNSPECIFIED",
                                                 "user"]),
     "parts": st.lists(A2A_PART_10, max_size=3), "taskId": TEXT, "contextId": TEXT,
     "metadata": JSON_VALUES, "extensions": st.lists(TEXT, max_size=2),
     "referenceTaskIds": st.lists(TEXT, max_size=2)},
    required=("messageId", "role", "parts"),
)
A2A_PART_03 = objects({"kind": st.sampled_from(["text", "data", "file"]), "text": TEXT,
                       "data": JSON_VALUES, "file": objects({"bytes": BASE64, "uri": URLS,
                                                             "mimeType": TEXT, "name": TEXT})})
A2A_MESSAGE_03 = objects(
    {"messageId": TEXT, "role": st.sampled_from(["user", "agent", "ROLE_USER"]),
     "parts": st.lists(A2A_PART_03, max_size=3), "kind": st.just("message"), "taskId": TEXT,
     "contextId": TEXT, "metadata": JSON_VALUES},
    required=("messageId", "role", "parts"),
)
PUSH_CONFIG = objects({"url": URLS, "token": TEXT, "id": TEXT,
                       "authentication": objects({"scheme": TEXT, "credentials": TEXT})})
A2A_PARAMS = objects(
    {"message": st.one_of(A2A_MESSAGE_10, A2A_MESSAGE_03),
     "configuration": objects({"acceptedOutputModes": st.lists(TEXT, max_size=2),
                               "historyLength": st.integers(-5, 50),
                               "returnImmediately": st.booleans(), "blocking": st.booleans(),
                               "pushNotificationConfig": PUSH_CONFIG}),
     "metadata": JSON_VALUES, "id": TEXT, "taskId": TEXT, "historyLength": st.integers(-5, 50),
     "status": st.sampled_from(["TASK_STATE_WORKING", "TASK_STATE_COMPLETED", "DONE", "working"]),
     "pageSize": st.integers(-1, 200), "pageToken": TEXT, "contextId": TEXT, "name": TEXT,
     "pushNotificationConfig": PUSH_CONFIG, "config": PUSH_CONFIG, "tenant": TEXT},
)


# -- bytes -------------------------------------------------------------------------------------


def encoded(values: SearchStrategy[Any]) -> SearchStrategy[bytes]:
    """``values`` as JSON bytes, mostly intact; some cut short, spliced with random bytes, or
    wrapped in more arrays than the decoder accepts."""
    dumped = values.map(lambda v: json.dumps(v).encode())

    def cut(body: bytes, at: int) -> bytes:
        return body[: at % (len(body) + 1)]

    def splice(body: bytes, at: int, junk: bytes) -> bytes:
        at %= len(body) + 1
        return body[:at] + junk + body[at + len(junk):]

    def nest(body: bytes, depth: int) -> bytes:
        return b"[" * depth + body + b"]" * depth

    return st.one_of(
        dumped, dumped, dumped, dumped, dumped, dumped,
        st.builds(cut, dumped, st.integers(0, 10_000)),
        st.builds(splice, dumped, st.integers(0, 10_000), st.binary(min_size=1, max_size=4)),
        st.builds(nest, dumped, st.integers(60, 300)),
        st.binary(max_size=64),
    )
