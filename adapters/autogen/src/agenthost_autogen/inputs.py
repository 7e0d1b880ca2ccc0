"""A run's neutral input messages as an AgentChat task.

User messages become ``TextMessage``s (``MultiModalMessage`` when they carry images); the
earlier assistant turns a stateless client resends (Chat Completions) go straight into an
``AssistantAgent``'s model context as ``AssistantMessage``s, so the model sees them as its own.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from autogen_agentchat.base import ChatAgent
from autogen_agentchat.messages import BaseChatMessage, MultiModalMessage, TextMessage
from autogen_core import Image
from autogen_core.model_context import ChatCompletionContext
from autogen_core.models import AssistantMessage

from agenthost.events import DataPart, FilePart, Message, TextPart

USER = "user"


def split(messages: list[Message]) -> tuple[list[Message], list[Message]]:
    """(earlier turns a stateless client resent, this turn's trailing non-assistant messages)."""
    cut = len(messages)
    while cut and messages[cut - 1].role != "assistant":
        cut -= 1
    return messages[:cut], messages[cut:]


def task_messages(messages: list[Message]) -> list[BaseChatMessage]:
    """Messages as an AgentChat task (assistant turns as text from ``"assistant"``)."""
    return [
        chat_message(m, "assistant" if m.role == "assistant" else USER)
        for m in messages
        if m.role != "system"
    ]


def chat_message(message: Message, source: str = USER) -> BaseChatMessage:
    """One neutral message as a ``TextMessage``, or a ``MultiModalMessage`` with images."""
    content: list[str | Image] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            content.append(part.text)
        elif isinstance(part, DataPart):
            content.append(json.dumps(part.data))
        elif isinstance(part, FilePart):
            content.append(_file(part))
    if any(isinstance(c, Image) for c in content):
        return MultiModalMessage(content=content, source=source)
    return TextMessage(content="\n".join(c for c in content if isinstance(c, str)), source=source)


def _file(part: FilePart) -> str | Image:
    if part.mime_type.startswith("image/") and part.bytes is not None:
        return Image.from_base64(base64.b64encode(part.bytes).decode("ascii"))
    if part.mime_type.startswith("text/") and part.bytes is not None:
        return part.bytes.decode("utf-8", errors="replace")
    label = part.name or "file"
    where = part.uri or f"{len(part.bytes or b'')} bytes"
    # AgentChat messages carry only text and images: other files are named, not sent.
    return f"[{label} ({part.mime_type}): {where}]"


async def seed_context(agent: Any, earlier: list[Message]) -> bool:
    """Put resent earlier turns into an agent's model context; False when it has none (a
    team): then they go into the task instead."""
    context = getattr(agent, "model_context", None)
    if not isinstance(agent, ChatAgent) or not isinstance(context, ChatCompletionContext):
        return False
    for message in earlier:
        if message.role == "assistant":
            await context.add_message(
                AssistantMessage(content=message.text_content, source=agent.name)
            )
        elif message.role != "system":
            model_message = chat_message(message).to_model_message()
            await context.add_message(model_message)
    return True
