// Wires the page: agents, sessions, the composer, live runs and the inspector.

import { ApiError, call, replayRun, setKey, startRun } from "./api.js";
import { Inspector } from "./inspector.js";
import { Turn, el, messageNode, userNode } from "./render.js";
import { SessionList, newSessionId } from "./sessions.js";

const KEY = "agenthost.key";
const $ = (id) => document.getElementById(id);

const state = {
  key: localStorage.getItem(KEY) || "",
  sessions: null,
  sessionId: null, // null: the next message starts a new session
  run: null, // the run in flight: {id, agent}
};
const inspector = new Inspector({
  select: $("inspector-run"), list: $("events"), note: $("inspector-note"), onPick: inspect,
});

function notice(text) {
  $("notice").textContent = text;
  $("notice").hidden = !text;
}

function askForKey(reason) {
  $("key-reason").textContent = reason;
  $("key").value = "";
  $("key-dialog").showModal();
}

$("key-dialog").addEventListener("close", () => {
  if ($("key-dialog").returnValue !== "save") return;
  state.key = $("key").value.trim();
  localStorage.setItem(KEY, state.key);
  start();
});
$("key-button").addEventListener("click", () => askForKey("Enter the API key or token this host gave you."));

// Any call the host refuses for want of credentials asks for a key instead of failing.
async function guarded(work) {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      askForKey(state.key ? "The host refused this key. Enter another." : "This host needs an API key.");
    } else {
      notice(error.message);
    }
    return undefined;
  }
}

async function start() {
  setKey(state.key);
  state.sessions = new SessionList(state.key);
  notice("");
  const listed = await guarded(() => call("GET", "agents"));
  if (!listed) return;
  const select = $("agent");
  select.replaceChildren(...listed.agents.map((a) =>
    el("option", { value: a.name, text: a.description ? `${a.name} — ${a.description}` : a.name })));
  select.disabled = listed.agents.length === 0;
  if (!listed.agents.length) notice("This host serves no agents.");
  renderSessions();
  const current = state.sessions.get(state.sessions.current);
  if (current) await openSession(current.id);
  else newSession();
}

function renderSessions() {
  const items = state.sessions.items.map((s) => {
    const open = el("button", { type: "button", class: "session", text: s.title || s.id });
    if (s.id === state.sessionId) open.setAttribute("aria-current", "true");
    open.addEventListener("click", () => openSession(s.id));
    const forget = el("button", { type: "button", class: "forget", "aria-label": `Delete ${s.title || s.id}`, text: "×" });
    forget.addEventListener("click", () => forgetSession(s.id));
    return el("li", { "data-session": s.id }, open, forget);
  });
  $("sessions").replaceChildren(...items);
}

function newSession() {
  state.sessionId = null;
  $("transcript").replaceChildren();
  inspector.setRuns([]);
  inspector.clear();
  renderSessions();
  $("message").focus();
}

async function openSession(id) {
  const session = state.sessions.get(id);
  if (!session || state.run) return;
  state.sessionId = id;
  state.sessions.select(id);
  if (session.agent) $("agent").value = session.agent;
  renderSessions();
  const history = await guarded(() => call("GET", `sessions/${encodeURIComponent(id)}/messages`));
  if (!history || state.sessionId !== id) return;
  $("transcript").replaceChildren(...history.messages.map(messageNode));
  inspector.setRuns(session.runs);
  inspector.clear();
}

async function forgetSession(id) {
  if (state.run) return;
  const deleted = await guarded(() => call("DELETE", `sessions/${encodeURIComponent(id)}`));
  if (deleted === undefined) return;
  state.sessions.remove(id);
  if (state.sessionId === id) newSession();
  renderSessions();
}

async function inspect(runId) {
  if (inspector.has(runId)) {
    inspector.show(runId, "Times are when this page received each event.");
    return;
  }
  inspector.show(runId, "Replaying…");
  await guarded(async () => {
    for await (const event of replayRun(runId)) inspector.record(runId, event);
  });
  if (inspector.shown === runId) {
    inspector.show(runId, "Replayed from the host: times are when this page received the replay.");
  }
}

function busy(running) {
  $("send").hidden = running;
  $("stop").hidden = !running;
  $("message").disabled = running;
}

// Send one message on the current session (starting one if needed) and follow the run.
async function send({ text, data }) {
  const agent = $("agent").value;
  if (!agent || state.run) return;
  if (!state.sessionId) {
    state.sessionId = newSessionId();
    state.sessions.add({ id: state.sessionId, agent, title: text.slice(0, 60) });
    renderSessions();
  }
  const sessionId = state.sessionId;
  const parts = [{ type: "text", text }];
  if (data !== undefined) parts.push({ type: "data", data });
  $("transcript").append(userNode(text));
  const turn = new Turn({ onAnswer: send });
  $("transcript").append(turn.node);
  state.run = { id: null, agent };
  busy(true);
  try {
    const body = { messages: [{ role: "user", parts }], session_id: sessionId };
    for await (const event of startRun(agent, body)) {
      if (event.type === "run.started") {
        state.run.id = event.run_id;
        state.sessions.addRun(sessionId, event.run_id);
        inspector.setRuns(state.sessions.get(sessionId).runs);
        inspector.show(event.run_id, "Times are when this page received each event.");
      }
      inspector.record(event.run_id, event);
      turn.apply(event);
      turn.node.scrollIntoView({ block: "end" });
    }
  } catch (error) {
    turn.end(`failed: ${error.message}`, "failed");
    if (error instanceof ApiError && error.status === 401) askForKey("The host refused this key. Enter another.");
  } finally {
    state.run = null;
    busy(false);
    $("message").focus();
  }
}

$("composer").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("message").value;
  if (!text.trim()) return;
  $("message").value = "";
  send({ text });
});
$("message").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $("composer").requestSubmit();
  }
});
$("stop").addEventListener("click", async () => {
  if (!state.run?.id) return;
  $("stop").disabled = true;
  await guarded(() => call("POST", `runs/${encodeURIComponent(state.run.id)}/cancel`));
  $("stop").disabled = false;
});
$("new-session").addEventListener("click", () => {
  if (!state.run) newSession();
});

start();
