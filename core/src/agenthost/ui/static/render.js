// The conversation: history messages and live runs, drawn from neutral events. Every value
// from the host goes in as text (textContent), never as HTML.

const INLINE_IMAGES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function json(value) {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function bytesOf(base64) {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

// A file part: an image inline, any other file as a download link.
export function filePart(part) {
  const name = part.name || "file";
  if (part.bytes) {
    if (INLINE_IMAGES.has(part.mime_type)) {
      const img = el("img", { class: "artifact-image", alt: name });
      img.src = `data:${part.mime_type};base64,${part.bytes}`;
      return el("figure", { class: "artifact" }, img, el("figcaption", { text: name }));
    }
    const url = URL.createObjectURL(new Blob([bytesOf(part.bytes)], { type: part.mime_type }));
    return el("p", { class: "artifact" },
      el("a", { class: "download", href: url, download: name, text: `Download ${name}` }),
      el("span", { class: "muted", text: ` (${part.mime_type})` }));
  }
  if (part.uri) {
    return el("p", { class: "artifact" },
      el("a", { href: part.uri, rel: "noopener noreferrer", target: "_blank", text: name }));
  }
  return el("p", { class: "artifact muted", text: `${name} (empty)` });
}

function partNode(part) {
  if (part.type === "text") return el("div", { class: "text", text: part.text });
  if (part.type === "data") return el("pre", { class: "data", text: json(part.data) });
  return filePart(part);
}

// One stored message of the session's history.
export function messageNode(message) {
  const node = el("article", { class: `message ${message.role}`, "aria-label": message.role });
  node.append(...message.parts.map(partNode));
  return node;
}

// What the user sent.
export function userNode(text) {
  return el("article", { class: "message user", "aria-label": "user" },
    el("div", { class: "text", text }));
}

// A tool call's arguments: each one by name, strings as they are (code reads as code).
function argumentsNode(args) {
  if (!args || typeof args !== "object" || Array.isArray(args)) return el("pre", { text: json(args) });
  const list = el("dl");
  for (const [name, value] of Object.entries(args)) {
    list.append(el("dt", { text: name }), el("dd", {}, el("pre", { text: json(value) })));
  }
  return list;
}

// The tool-approval calls a run.input_required asks about, or null for a plain question.
// Adapters shape the payload differently: MAF {type: "approval", calls}, AgentScope
// {kind: "approval", tool_calls}, Agno {requirements: [{kind: "confirmation", ...}]}.
export function approvalCalls(payload) {
  if (!payload || typeof payload !== "object") return null;
  if (payload.type === "approval" || payload.kind === "approval") {
    return payload.calls || payload.tool_calls || [];
  }
  const asks = payload.requirements;
  if (Array.isArray(asks) && asks.length && asks.every((a) => a.kind === "confirmation")) return asks;
  const choices = (payload.choices || []).map((c) => String(c).toLowerCase());
  if (choices.includes("yes") && choices.includes("no")) return [];
  return null;
}

// The assistant's side of one run, updated event by event.
export class Turn {
  constructor({ onAnswer }) {
    this.onAnswer = onAnswer;
    this.node = el("article", { class: "message assistant", "aria-label": "assistant" });
    this.body = el("div", { class: "body" });
    this.status = el("p", { class: "status", role: "status", text: "running…" });
    this.usage = el("p", { class: "usage" });
    this.usage.hidden = true;
    this.node.append(this.body, this.usage, this.status);
    this.texts = new Map();
    this.reasoning = new Map();
    this.cards = new Map();
    this.waiting = false;
  }

  apply(event) {
    const handler = this[`on_${event.type.replace(".", "_")}`];
    if (handler) handler.call(this, event);
  }

  on_run_started(event) {
    this.node.dataset.runId = event.run_id;
  }

  on_message_delta(event) {
    let text = this.texts.get(event.message_id);
    if (!text) {
      text = el("div", { class: "text" });
      this.texts.set(event.message_id, text);
      this.body.append(text);
    }
    text.textContent += event.text;
  }

  on_reasoning_delta(event) {
    let pre = this.reasoning.get(event.message_id);
    if (!pre) {
      pre = el("pre");
      this.reasoning.set(event.message_id, pre);
      this.body.append(el("details", { class: "reasoning" }, el("summary", { text: "Reasoning" }), pre));
    }
    pre.textContent += event.text;
  }

  on_message_completed(event) {
    const message = event.message;
    if (this.texts.has(message.id) || message.role !== "assistant") return; // streamed already
    const node = el("div", { class: "completed" }, ...message.parts.map(partNode));
    this.texts.set(message.id, node);
    this.body.append(node);
  }

  card(callId, name) {
    let card = this.cards.get(callId);
    if (!card) {
      const title = el("span", { class: "tool-name", text: name || "tool" });
      const state = el("span", { class: "tool-state", text: "running" });
      const node = el("details", { class: "tool", open: "" },
        el("summary", {}, el("span", { text: "Tool " }), title, state));
      card = { node, title, state, outputs: el("div", { class: "tool-outputs" }) };
      node.append(card.outputs);
      this.cards.set(callId, card);
      this.body.append(node);
    }
    return card;
  }

  on_tool_call(event) {
    const card = this.card(event.call_id, event.name);
    card.node.insertBefore(
      el("div", { class: "tool-args" }, el("h3", { text: "Arguments" }), argumentsNode(event.arguments)),
      card.outputs);
  }

  on_tool_result(event) {
    const card = this.card(event.call_id, event.name);
    card.state.textContent = event.is_error ? "error" : "done";
    card.node.classList.toggle("error", event.is_error);
    card.outputs.append(el("h3", { text: event.is_error ? "Error" : "Output" }),
      el("pre", { class: "tool-output", text: json(event.output) }));
  }

  on_artifact(event) {
    const where = event.call_id ? this.card(event.call_id).outputs : this.body;
    where.append(filePart(event.part.type === "file" ? event.part : { name: "artifact", ...event.part }));
  }

  showUsage(usage) {
    if (!usage) return;
    this.usage.hidden = false;
    this.usage.textContent =
      `Usage: ${usage.input_tokens} in · ${usage.output_tokens} out · ${usage.total_tokens} total tokens`;
  }

  on_usage(event) {
    this.showUsage(event.usage);
  }

  on_run_input_required(event) {
    this.waiting = true;
    const calls = approvalCalls(event.payload);
    const prompt = el("div", { class: "prompt" }, el("p", { class: "prompt-text", text: event.prompt || "The agent asks for your input." }));
    if (calls) {
      for (const call of calls) {
        prompt.append(el("pre", { class: "data", text: `${call.name || "call"} ${json(call.arguments || {})}` }));
      }
      const approve = el("button", { type: "button", class: "approve", text: "Approve" });
      const deny = el("button", { type: "button", class: "deny", text: "Deny" });
      const answer = (approved) => {
        approve.disabled = deny.disabled = true;
        this.onAnswer({ text: approved ? "yes" : "no", data: { approved } });
      };
      approve.addEventListener("click", () => answer(true));
      deny.addEventListener("click", () => answer(false));
      prompt.append(el("div", { class: "actions" }, approve, deny));
    } else {
      const id = `answer-${event.run_id}`;
      const input = el("input", { id, type: "text", class: "answer" });
      const form = el("form", { class: "answer-form" },
        el("label", { for: id, text: "Your answer" }), input,
        el("button", { type: "submit", text: "Answer" }));
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        if (!input.value.trim()) return;
        for (const control of form.elements) control.disabled = true;
        this.onAnswer({ text: input.value });
      });
      prompt.append(form);
    }
    this.body.append(prompt);
  }

  on_run_completed(event) {
    this.showUsage(event.usage);
    this.end(this.waiting ? "waiting for your answer" : "completed", "completed");
  }

  on_run_failed(event) {
    this.end(`failed: ${event.code}: ${event.message}`, "failed");
  }

  on_run_cancelled(event) {
    const reason = event.reason || "";
    this.end(reason.startsWith("cancelled") ? reason : `cancelled${reason && ` (${reason})`}`, "cancelled");
  }

  end(text, state) {
    this.status.textContent = text;
    this.node.dataset.state = state;
    for (const card of this.cards.values()) {
      if (card.state.textContent === "running") card.state.textContent = state === "completed" ? "no result" : state;
    }
  }
}
