"""``GET /v1/responses/{id}/input_items``: a response's input messages as Responses items."""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import QueryParams

from agenthost.http import HTTPProblem


def _content(role: str, part: dict[str, Any]) -> dict[str, Any]:
    kind = part["type"]
    if kind == "text":
        if role == "assistant":
            return {"type": "output_text", "text": part["text"], "annotations": []}
        return {"type": "input_text", "text": part["text"]}
    if kind == "file":
        url = part.get("uri")
        if part.get("bytes") is not None:
            url = f"data:{part['mime_type']};base64,{part['bytes']}"
        if part["mime_type"].startswith("image/"):
            return {"type": "input_image", "image_url": url, "detail": "auto"}
        return {"type": "input_file", "filename": part.get("name"), "file_url": url}
    return {"type": "input_text", "text": json.dumps(part.get("data"))}


def message_item(message: dict[str, Any]) -> dict[str, Any]:
    """A neutral message (as JSON) as an input item."""
    role = message["role"]
    return {
        "id": message["id"],
        "type": "message",
        "role": role if role != "tool" else "user",
        "status": "completed",
        "content": [_content(role, p) for p in message["parts"]],
    }


def input_items_page(
    response_id: str, messages: list[dict[str, Any]], query: QueryParams
) -> dict[str, Any]:
    """One page of input items: ``order`` (default desc), ``after`` (an item id), ``limit``."""
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise HTTPProblem(
            400, "order: must be 'asc' or 'desc'", param="order", code="invalid_param"
        )
    try:
        limit = int(query.get("limit", "20"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise HTTPProblem(
            400, "limit: must be an integer from 1 to 100", param="limit", code="invalid_param"
        )
    items = [message_item(m) for m in messages]
    if order == "desc":
        items.reverse()
    after = query.get("after")
    if after is not None:
        ids = [item["id"] for item in items]
        if after not in ids:
            raise HTTPProblem(
                400,
                f"after: {after!r} is not an input item of {response_id!r}",
                param="after",
                code="invalid_param",
            )
        items = items[ids.index(after) + 1 :]
    page = items[:limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else "",
        "last_id": page[-1]["id"] if page else "",
        "has_more": len(items) > limit,
    }
