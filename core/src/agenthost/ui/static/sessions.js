// This browser's sessions (id, title, agent, run ids), kept in localStorage, one list per key:
// the history itself lives on the host (GET /sessions/{id}/messages).

const PREFIX = "agenthost.sessions.";

// Not a secret: tells one key's list from another's (the key itself is in localStorage too).
function fingerprint(key) {
  let hash = 0x811c9dc5;
  for (const char of key) {
    hash ^= char.codePointAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return key ? hash.toString(16) : "anonymous";
}

export function newSessionId() {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return "ui_" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class SessionList {
  constructor(key) {
    this.storageKey = PREFIX + fingerprint(key);
    const saved = JSON.parse(localStorage.getItem(this.storageKey) || "{}");
    this.items = saved.items || [];
    this.current = saved.current || null;
  }

  save() {
    localStorage.setItem(this.storageKey, JSON.stringify({ items: this.items, current: this.current }));
  }

  get(id) {
    return this.items.find((s) => s.id === id) || null;
  }

  // The session a first message starts: listed (newest first) and made current.
  add(session) {
    this.items.unshift({ runs: [], ...session });
    this.current = session.id;
    this.save();
  }

  select(id) {
    this.current = id;
    this.save();
  }

  addRun(id, runId) {
    const session = this.get(id);
    if (session && !session.runs.includes(runId)) {
      session.runs.push(runId);
      this.save();
    }
  }

  remove(id) {
    this.items = this.items.filter((s) => s.id !== id);
    if (this.current === id) this.current = null;
    this.save();
  }
}
