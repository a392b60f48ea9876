// The open alerts of the signed-in role, kept live, with acknowledge and resolve on each. Used
// by every screen whose role receives alerts: an alert nobody can acknowledge escalates again
// at every deadline.
import { api, element, formatDateTime, guarded } from "./common.js";

const RETRY_MS = 5000;
const SEVERITY_RANK = { critical: 2, warning: 1, info: 0 };

/** Open before acknowledged, then the most severe, then the latest: what needs someone first. */
function byUrgency(a, b) {
  return (a.state === "open" ? 0 : 1) - (b.state === "open" ? 0 : 1)
    || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]
    || b.last_at.localeCompare(a.last_at);
}

export class AlertList {
  /**
   * `list` and `count`: the <ul> and the count's <span>. `entityControl(alert)`: what names the
   * alert's subject (a button that opens it on this screen, or plain text).
   */
  constructor({ list, count, entityControl = (alert) => element("span", {}, alert.entity_id) }) {
    this.list = list;
    this.count = count;
    this.entityControl = entityControl;
    this.alerts = new Map(); // alert_id -> alert
    this.items = new Map(); // alert_id -> { alert, node }: a node is rebuilt only when its alert changes
    this.shownEventOf = new Map(); // alert_id -> the stream event id of the change on screen
    this.resolved = new Set(); // alert ids the stream said were resolved: an older answer must not bring them back
    this.changedWhileReading = null;
    this.retry = null;
    this.empty = element("li", { class: "empty" }, "No open alerts.");
    this.acknowledge = guarded("Not acknowledged", async (_event, alertId) => {
      this.onEvent({ alert: await api(`/api/alerts/${alertId}/acknowledge`, { method: "POST" }) });
    });
    this.resolve = guarded("Not resolved", async (event, alertId) => {
      const text = new FormData(event.target).get("note").trim();
      this.onEvent({ alert: await api(`/api/alerts/${alertId}/resolve`, { json: { text } }) });
    });
  }

  /** A change from the stream (`event` carries its id), or the answer to our own action. */
  onEvent(change, event = null) {
    const eventId = event?.lastEventId ? Number(event.lastEventId) : null;
    this.changedWhileReading?.push([change, eventId]);
    this.apply(change, eventId);
    this.render();
  }

  /** After each (re)connect of the stream: read the open alerts in full, again until it works,
   * since the stream only brings what changes from then on. */
  loadUntilRead() {
    clearTimeout(this.retry);
    this.load().catch(() => {
      this.list.replaceChildren(element("li", { class: "empty" }, "Open alerts could not be read; trying again…"));
      this.retry = setTimeout(() => this.loadUntilRead(), RETRY_MS);
    });
  }

  async load() {
    // The list may have been read before changes the stream brings meanwhile: those are
    // applied again on top of it.
    this.changedWhileReading = [];
    try {
      const open = await api("/api/alerts");
      this.alerts.clear();
      for (const alert of open) this.alerts.set(alert.alert_id, alert);
      for (const [change, eventId] of this.changedWhileReading) this.apply(change, eventId);
    } finally {
      this.changedWhileReading = null;
    }
    this.render();
  }

  // The stream may deliver an alert's changes out of order (each is announced after its own
  // commit): a change older than the one shown for the same alert is left out.
  apply({ alert }, eventId) {
    const id = alert.alert_id;
    if (eventId !== null) {
      if ((this.shownEventOf.get(id) ?? -1) > eventId) return;
      this.shownEventOf.set(id, eventId);
    } else if (this.resolved.has(id) && alert.state !== "resolved") {
      return; // the answer to our own action, overtaken by a colleague's resolve
    }
    if (alert.state === "resolved") {
      this.resolved.add(id);
      this.alerts.delete(id);
    } else {
      if (eventId !== null) this.resolved.delete(id); // reopened
      this.alerts.set(id, alert);
    }
  }

  render() {
    const sorted = [...this.alerts.values()].sort(byUrgency);
    const wanted = sorted.length ? sorted.map((alert) => this.itemFor(alert)) : [this.empty];
    // Stale nodes go first, then new ones are put in place: an unchanged item is never moved
    // (moving a node blurs a note being typed in it), since its alert and so its place in the
    // order relative to the other unchanged items stay the same.
    const keep = new Set(wanted);
    for (const node of [...this.list.children]) if (!keep.has(node)) node.remove();
    wanted.forEach((node, index) => {
      if (this.list.children[index] !== node) this.list.insertBefore(node, this.list.children[index] ?? null);
    });
    for (const id of this.items.keys()) if (!this.alerts.has(id)) this.items.delete(id);
    const open = sorted.filter((a) => a.state === "open").length;
    this.count.textContent = sorted.length ? `(${open} open of ${sorted.length})` : "";
  }

  itemFor(alert) {
    const shown = this.items.get(alert.alert_id);
    if (shown?.alert === alert) return shown.node;
    const node = this.item(alert, shown?.node.querySelector("form.resolve"));
    this.items.set(alert.alert_id, { alert, node });
    return node;
  }

  /** One alert; `draft` is the resolve form of the item it replaces, kept if it was open. */
  item(alert, draft) {
    const id = alert.alert_id;
    const state = alert.state === "open"
      ? element("button", { type: "button", onclick: (event) => this.acknowledge(event, id) }, "Acknowledge")
      : element("span", { class: "state" }, `acknowledged${alert.acknowledged_by ? ` by ${alert.acknowledged_by}` : ""}`);
    const form = element("form", { class: "resolve", hidden: true, onsubmit: (event) => this.resolve(event, id) },
      element("label", {}, "Note ", element("input", { name: "note", maxlength: "2000", autocomplete: "off" })),
      element("button", { type: "submit" }, "Resolve"),
      element("button", { type: "button", class: "link", onclick: () => { form.hidden = true; } }, "Cancel"));
    if (draft && !draft.hidden) {
      form.hidden = false;
      form.elements.note.value = draft.elements.note.value;
    }
    const escalated = alert.escalation_level > 0 ? ` · escalated ${alert.escalation_level}×` : "";
    return element("li", { class: `alert ${alert.severity}`, dataset: { alertId: id } },
      element("span", { class: "severity" }, alert.severity),
      element("strong", {}, alert.title || alert.rule),
      element("span", { class: "meta" }, this.entityControl(alert), " · ", formatDateTime(alert.last_at), escalated),
      element("span", { class: "actions" }, state,
        element("button", { type: "button", class: "link", onclick: () => {
          form.hidden = false;
          form.elements.note.focus();
        } }, "Resolve…")),
      form);
  }
}
