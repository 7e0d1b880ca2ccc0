// The run inspector: one run's neutral events in order, each with the time this page got it.

import { el } from "./render.js";

function clock(ms) {
  const d = new Date(ms);
  return d.toLocaleTimeString([], { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0");
}

export class Inspector {
  constructor({ select, list, note, onPick }) {
    this.select = select;
    this.list = list;
    this.note = note;
    this.logs = new Map(); // run id -> [{at, event}]
    this.shown = null;
    select.addEventListener("change", () => onPick(select.value));
  }

  // The runs of the current session, newest last; the shown one selected.
  setRuns(runIds) {
    this.select.replaceChildren(...runIds.map((id) => el("option", { value: id, text: id })));
    this.select.disabled = runIds.length === 0;
    if (this.shown) this.select.value = this.shown;
  }

  record(runId, event) {
    if (!this.logs.has(runId)) this.logs.set(runId, []);
    const entry = { at: Date.now(), event };
    this.logs.get(runId).push(entry);
    if (this.shown === runId) this.list.append(this.row(entry, this.logs.get(runId)[0].at));
  }

  has(runId) {
    return this.logs.has(runId);
  }

  show(runId, note = "") {
    this.shown = runId;
    this.select.value = runId;
    this.note.textContent = note;
    const log = this.logs.get(runId) || [];
    this.list.replaceChildren(...log.map((entry) => this.row(entry, log[0].at)));
  }

  clear() {
    this.shown = null;
    this.note.textContent = "";
    this.list.replaceChildren();
  }

  row(entry, start) {
    const { event } = entry;
    const time = el("time", { datetime: new Date(entry.at).toISOString(), text: clock(entry.at) });
    return el("li", { class: "event", "data-type": event.type },
      el("details", {},
        el("summary", {}, time, el("span", { class: "offset", text: ` +${entry.at - start} ms ` }),
          el("span", { class: "seq", text: `#${event.seq} ` }), el("code", { text: event.type })),
        el("pre", { text: JSON.stringify(event, null, 2) })));
  }
}
