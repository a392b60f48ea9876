// The open alerts of the signed-in role, kept live, with acknowledge, resolve and comments on
// each (staff hand over between shifts in them), and for a patient alert the night shift took
// on, whether a night nurse is coming. Used by every screen whose role receives alerts: an
// alert nobody can acknowledge escalates again at every deadline.
import { api, element, formatDateTime, formatTime, guarded } from "./common.js";

const RETRY_MS = 5000;
const SEVERITY_RANK = { critical: 2, warning: 1, info: 0 };
// Stream events whose news is not in the alert they carry: the list reads the alert again.
const READ_AGAIN_ON = new Set(["commented", "night_visit"]);

/** Comments are only ever added: of two copies of an alert's comments, the longer is newer. */
function newerComments(a = [], b = []) {
  return b.length > a.length ? b : a;
}

/** What the night shift is doing about the alert, and whether that is bad news. */
function nightVisit(task) {
  if (task.state === "done") return ["The night nurse has been", false];
  if (task.state === "started") return ["The night nurse is there now", false];
  if (task.state === "cancelled") return ["Night visit called off", false];
  if (task.planned) {
    return [task.eta ? `Night nurse on the way, expected ${formatTime(task.eta)}` : "A night nurse has taken it", false];
  }
  if (task.unplanned_reason) return [`No night nurse can come: ${task.unplanned_reason}`, true];
  return ["Night visit waiting for the night plan", false];
}

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
    this.comment = guarded("Comment not added", async (event, alertId) => {
      const text = new FormData(event.target).get("comment").trim();
      const alert = await api(`/api/alerts/${alertId}/comments`, { json: { text } });
      // Cleared where it is now: a colleague's change may have rebuilt the item meanwhile.
      const form = this.items.get(alertId)?.node.querySelector("form.comment");
      form?.reset();
      if (form) form.hidden = true;
      this.onEvent({ alert });
    });
  }

  /** A change from the stream (`event` carries its id), or the answer to our own action. */
  onEvent(change, event = null) {
    const eventId = event?.lastEventId ? Number(event.lastEventId) : null;
    this.changedWhileReading?.push([change, eventId]);
    this.apply(change, eventId);
    this.render();
    if (event && READ_AGAIN_ON.has(change.event)) {
      this.readAgain(change.alert.alert_id).catch(() => {}); // else the next full read has it
    }
  }

  /** The stream says an alert was commented on, or that the night shift answered it
   * differently, not what: read the alert's comments and night visit. */
  async readAgain(alertId) {
    const { comments, night_task } = await api(`/api/alerts/${alertId}`);
    const shown = this.alerts.get(alertId);
    if (!shown) return;
    this.alerts.set(alertId, { ...shown, night_task, comments: newerComments(comments, shown.comments) });
    this.render();
  }

  /** Puts an alert in the list. The stream carries the alert's own fields only: its comments
   * and night visit, which the list read joins in, are kept from the copy already shown. */
  put(alert) {
    const known = this.alerts.get(alert.alert_id);
    this.alerts.set(alert.alert_id, {
      night_task: known?.night_task ?? null,
      ...alert,
      comments: newerComments(alert.comments, known?.comments),
    });
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
      const listed = new Set(open.map((alert) => alert.alert_id));
      for (const id of [...this.alerts.keys()]) if (!listed.has(id)) this.alerts.delete(id);
      for (const alert of open) this.put(alert);
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
      this.put(alert);
    }
  }

  render() {
    const typing = this.fieldInUse();
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
    this.refocus(typing);
  }

  /** The note or comment being typed, if any: a colleague's change to its alert rebuilds the
   * item, and the typing must go on in the new one. */
  fieldInUse() {
    const field = document.activeElement;
    const item = field?.name && this.list.contains(field) ? field.closest("li.alert") : null;
    return item && { id: Number(item.dataset.alertId), name: field.name, at: field.selectionStart };
  }

  refocus(typing) {
    const field = typing && this.items.get(typing.id)?.node.querySelector(`[name="${typing.name}"]`);
    if (!field || field === document.activeElement || !field.isConnected) return;
    field.focus();
    field.setSelectionRange(typing.at, typing.at);
  }

  itemFor(alert) {
    const shown = this.items.get(alert.alert_id);
    if (shown?.alert === alert) return shown.node;
    const node = this.item(alert, shown?.node);
    this.items.set(alert.alert_id, { alert, node });
    return node;
  }

  /** One alert; the forms of the item it replaces (`previous`) are kept if they were open. */
  item(alert, previous) {
    const id = alert.alert_id;
    const state = alert.state === "open"
      ? element("button", { type: "button", onclick: (event) => this.acknowledge(event, id) }, "Acknowledge")
      : element("span", { class: "state" }, `acknowledged${alert.acknowledged_by ? ` by ${alert.acknowledged_by}` : ""}`);
    const resolve = oneFieldForm({ kind: "resolve", label: "Note", name: "note", submit: "Resolve" },
      (event) => this.resolve(event, id));
    const comment = oneFieldForm({ kind: "comment", label: "Comment", name: "comment", submit: "Add comment", required: true },
      (event) => this.comment(event, id));
    for (const form of [resolve, comment]) keepDraft(form, previous?.querySelector(`form.${form.className}`));
    const escalated = alert.escalation_level > 0 ? ` · escalated ${alert.escalation_level}×` : "";
    return element("li", { class: `alert ${alert.severity}`, dataset: { alertId: id } },
      element("span", { class: "severity" }, alert.severity),
      element("strong", {}, alert.title || alert.rule),
      element("span", { class: "meta" }, this.entityControl(alert), " · ", formatDateTime(alert.last_at), escalated),
      alert.night_task ? nightVisitLine(alert.night_task) : null,
      alert.comments.length ? commentList(alert.comments) : null,
      element("span", { class: "actions" }, state, opener(resolve, "Resolve…"), opener(comment, "Comment…")),
      resolve,
      comment);
  }
}

/** A hidden form of one field (resolve's note, a comment) with its submit button and Cancel. */
function oneFieldForm({ kind, label, name, submit, required = false }, onsubmit) {
  const field = element("input", { name, required, maxlength: "2000", autocomplete: "off" });
  const form = element("form", { class: kind, hidden: true, onsubmit },
    element("label", {}, `${label} `, field),
    element("button", { type: "submit" }, submit),
    element("button", { type: "button", class: "link", onclick: () => { form.hidden = true; } }, "Cancel"));
  return form;
}

/** The button that opens `form` and puts the cursor in its field. */
function opener(form, text) {
  return element("button", { type: "button", class: "link", onclick: () => {
    form.hidden = false;
    form.elements[0].focus();
  } }, text);
}

/** What was typed in the form of the item being replaced, if that form was open. */
function keepDraft(form, draft) {
  if (!draft || draft.hidden) return;
  form.hidden = false;
  form.elements[0].value = draft.elements[0].value;
}

function nightVisitLine(task) {
  const [text, bad] = nightVisit(task);
  return element("span", { class: bad ? "night-visit error" : "night-visit" }, text);
}

/** Oldest first, so the latest word on the alert is the last one read. */
function commentList(comments) {
  return element("ol", { class: "comments" }, ...comments.map((c) => element("li", {},
    element("span", { class: "meta" }, `${c.actor} · ${formatDateTime(c.at)}: `), c.text)));
}
