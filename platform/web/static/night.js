// The night nurse's task list: in visiting order, with time window, ETA, reason, a link that
// opens the phone's navigation, and acknowledge / start / done. The plan arrives whole on a
// live stream; the last plan is kept on the phone so a dead link never leaves a blank screen:
// hers only (another nurse signing in on the phone, or a session that ran out, drops it), and
// not once her shift is long over.
// A button pressed without signal is kept on the phone with the time it was pressed, shown
// at once, and sent when the signal is back; a service worker keeps the screen's own files,
// so that it opens after a reload without signal too.
import {
  api, HttpError, Redirected, start, element, explain, formatTime, liveStream, requireRole, sessionEndHooks, showConnection,
  signOutGuards,
} from "./common.js";

// The plan kept on the phone is under `${PLAN_KEY}.${username}`; the bare key is where every
// nurse's used to be, and is dropped with any other nurse's.
const PLAN_KEY = "tilsyn.night.plan";
// A shift's plan is still needed this long after its end, for a visit begun before it (the
// server's overrun grace); a kept plan older than that is an earlier night's, never shown.
const OVERRUN_GRACE_MS = 2 * 60 * 60 * 1000;
const TARGET = { acknowledge: "acknowledged", start: "started", done: "done" };
const ACTIONS = [
  { action: "acknowledge", label: "Acknowledge", from: ["planned"] },
  { action: "start", label: "Start", from: ["planned", "acknowledged"] },
  { action: "done", label: "Done", from: ["started"] },
];
let known = null; // task ids already shown, to mark the ones that arrive during the shift
let lastPlan = null;
let flushing = false;
let user = null; // the nurse signed in, as /api/auth/me said
let leaving = false; // the phone is someone else's now: nothing more is shown or sent
let planKey = null;
let outboxKey = null; // per nurse: what one pressed is never sent under another's name
// A send that failed (no signal, the server away) is tried again after this long, doubled
// each time up to a minute, even while the stream says "Live".
const RETRY_FIRST_MS = 5000;
const RETRY_MAX_MS = 60000;
let retryMs = RETRY_FIRST_MS;
let retryTimer = null;

const outbox = () => JSON.parse(localStorage.getItem(outboxKey) ?? "[]");
const saveOutbox = (entries) => localStorage.setItem(outboxKey, JSON.stringify(entries));

function navigationLink(task) {
  const href = `https://www.openstreetmap.org/directions?route=%3B${task.lat}%2C${task.lon}`;
  const geo = `geo:${task.lat},${task.lon}?q=${task.lat},${task.lon}(${encodeURIComponent(task.location_name)})`;
  const mobile = /Android|iPhone|iPad/i.test(navigator.userAgent);
  return element("a", { href: mobile ? geo : href, target: "_blank", rel: "noopener" }, `Navigate: ${task.address}`);
}

function card(task, fresh) {
  const buttons = ACTIONS.map(({ action, label, from }) => element("button", {
    type: "button", disabled: !from.includes(task.state),
    "aria-label": `${label} ${task.location_name}`, onclick: () => act(task.task_id, action),
  }, label));
  const classes = ["task", task.urgent ? "urgent" : "", task.state, fresh ? "new" : "", task.pending ? "pending" : ""].join(" ");
  return element("li", { class: classes, dataset: { taskId: task.task_id } },
    element("h2", {}, element("span", { class: "position" }, String(task.position)),
      task.location_name, task.urgent ? element("span", { class: "urgent-tag" }, "URGENT") : null),
    element("p", { class: "when" },
      element("span", {}, `Window ${formatTime(task.window_start)}–${formatTime(task.window_end)}`),
      element("strong", {}, `ETA ${formatTime(task.eta)}`)),
    element("p", { class: "reason" }, task.reason),
    element("p", { class: "address" }, navigationLink(task)),
    element("p", { class: "state" }, task.pending ? `${task.state} · waiting for signal` : task.state),
    element("div", { class: "actions" }, ...buttons));
}

// The plan as the server last sent it, with what this phone has pressed but not yet sent.
function withPending(plan) {
  const pending = outbox();
  const tasks = plan.tasks.map((task) => {
    const mine = pending.filter((p) => p.taskId === task.task_id);
    return mine.length ? { ...task, state: TARGET[mine.at(-1).action], pending: true } : task;
  });
  return { ...plan, tasks };
}

// Every kept plan but `keep` (a nurse's patients are not left for the next one on the phone).
function dropPlans(keep = null) {
  const keys = Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i));
  for (const key of keys) {
    if ((key === PLAN_KEY || key.startsWith(`${PLAN_KEY}.`)) && key !== keep) localStorage.removeItem(key);
  }
}

function clearPlan() {
  lastPlan = null;
  known = null;
  dropPlans();
  document.getElementById("tasks").replaceChildren();
  document.getElementById("summary").textContent = "No tasks";
}

// The server answers for another nurse: the phone was signed in again under her name. This
// nurse's plan goes, and the front door opens the screen of whoever is signed in now.
function anotherNurse() {
  leaving = true;
  clearPlan();
  location.replace("/");
}

function showSummary(tasks) {
  // A cancelled task (its alert resolved) is no work: shown, but not counted.
  const work = tasks.filter((t) => t.state !== "cancelled");
  const left = `${work.filter((t) => t.state !== "done").length} of ${work.length} tasks left`;
  const ended = Date.parse(lastPlan.shift_ends) <= Date.now();
  document.getElementById("summary").textContent = ended ? `Shift ended ${formatTime(lastPlan.shift_ends)}: ${left}` : left;
}

function render(plan) {
  if (leaving) return;
  if (plan.nurse && plan.nurse !== user.username) {
    anotherNurse();
    return;
  }
  // An answer that left the server before the plan shown (a GET overtaken by the stream): the
  // newer stays, drawn again for what has been sent meanwhile.
  if (lastPlan?.shift_id === plan.shift_id && plan.revision < lastPlan.revision) plan = lastPlan;
  lastPlan = plan;
  localStorage.setItem(planKey, JSON.stringify(plan));
  const tasks = [...withPending(plan).tasks].sort((a, b) => a.position - b.position);
  const arrived = known ? tasks.filter((t) => !known.has(t.task_id)) : [];
  known = new Set(tasks.map((t) => t.task_id));
  // The list is drawn anew: focus goes back to the same button (or, disabled now, to its
  // task's next one), so a keyboard or screen-reader user is not thrown to the top.
  const focused = document.activeElement?.closest?.("li.task");
  const label = document.activeElement?.textContent;
  document.getElementById("tasks").replaceChildren(...tasks.map((t) => card(t, arrived.includes(t))));
  if (focused) {
    const again = document.querySelector(`li.task[data-task-id="${CSS.escape(focused.dataset.taskId)}"]`);
    const buttons = [...(again?.querySelectorAll("button") ?? [])];
    (buttons.find((b) => b.textContent === label && !b.disabled) ?? buttons.find((b) => !b.disabled))?.focus();
  }
  showSummary(tasks);
  const urgent = arrived.filter((t) => t.urgent);
  if (urgent.length) {
    document.getElementById("announce").textContent = `New urgent task: ${urgent.map((t) => t.location_name).join(", ")}`;
    navigator.vibrate?.([200, 100, 200]);
  }
}

function act(taskId, action) {
  saveOutbox([...outbox(), { taskId, action, at: new Date().toISOString() }]);
  if (lastPlan) render(lastPlan);
  flush();
}

// The user the phone's session is for now; null when unknown (no signal, or none signed in).
async function signedInAs() {
  try {
    return (await api("/api/auth/me")).username;
  } catch {
    return null;
  }
}

// Send what was pressed, in order. Without signal it stays on the phone and is tried again
// on a timer; with the session gone it stays until she signs in again (the screen sends it
// then); only an action the server refuses for the task's sake (it moved on meanwhile) is
// dropped, and said.
async function flush() {
  if (flushing || leaving) return;
  flushing = true;
  clearTimeout(retryTimer);
  const status = document.getElementById("night-status");
  let sent = false;
  try {
    // What she pressed goes under the name the phone is signed in with now: never another's.
    // Unknown (no signal) is for the sends below to find out.
    const who = outbox().length ? await signedInAs() : null;
    if (who && who !== user.username) anotherNurse();
    if (leaving) return; // another nurse's phone now, or her session is gone (kept for later)
    for (let pending = outbox(); pending.length; pending = outbox()) {
      const { taskId, action, at } = pending[0];
      try {
        await api(`/api/night/tasks/${encodeURIComponent(taskId)}/${action}?at=${encodeURIComponent(at)}`, { method: "POST" });
      } catch (error) {
        if (!(error instanceof HttpError) || error.status >= 500) {
          status.hidden = false;
          status.textContent = `Saved on this phone (${pending.length} not sent); it is sent when the signal is back.`;
          retryTimer = setTimeout(flush, retryMs);
          retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
          return;
        }
        if (error.status === 401 || error.status === 403) return; // kept for after sign-in
        status.hidden = false;
        status.textContent = `Could not ${action} that task: ${error.message}.`;
      }
      saveOutbox(outbox().slice(1));
      sent = true;
      retryMs = RETRY_FIRST_MS;
    }
    if (status.textContent.startsWith("Saved on this phone")) status.hidden = true;
  } finally {
    flushing = false;
  }
  if (!sent) return;
  const plan = await api("/api/night/plan").catch(() => lastPlan); // none once signed out
  if (plan) render(plan);
}

function onConnection(state) {
  showConnection(state);
  if (state === "live" && outbox().length) flush();
  const status = document.getElementById("night-status");
  status.hidden = state === "live";
  if (state !== "live") status.textContent = "No connection. Showing the last plan received; it updates by itself when the signal is back.";
}

// The server answered, but has no plan to give: say its reason, not "No connection" (the
// screen looks again by itself, e.g. for a shift made later tonight).
function onRefused(error) {
  const badge = document.getElementById("connection");
  badge.dataset.state = "offline";
  badge.textContent = error.status === 404 ? "No shift" : "No plan";
  const status = document.getElementById("night-status");
  status.hidden = false;
  status.textContent = error.status === 404
    ? `No night shift for you: ${error.message}. This screen looks again by itself.`
    : `The night plan cannot be shown: ${explain(error)}. This screen tries again by itself.`;
  // No shift for her (or no right to one): a plan still on screen is not hers tonight. A
  // server in trouble (5xx) says nothing about the plan, which stays.
  if (error.status < 500) clearPlan();
  else if (!lastPlan) document.getElementById("summary").textContent = "No tasks";
}

async function load() {
  try {
    render(await api("/api/night/plan"));
  } catch (error) {
    if (error instanceof Redirected) return;
    if (error instanceof HttpError) onRefused(error);
    else onConnection("offline");
  }
}

// A session the server ended (a 401, then sign-in) leaves none of the patients on the phone
// for whoever picks it up, nor on the page the back button would show.
sessionEndHooks.push(() => {
  leaving = true;
  lastPlan = null;
  dropPlans();
  document.getElementById("tasks").replaceChildren();
  document.getElementById("summary").textContent = "Signed out";
});

async function main() {
  user = await requireRole("night_nurse", { offline: true });
  navigator.serviceWorker?.register("/night-sw.js", { scope: "/night" }).catch(() => null);
  planKey = `${PLAN_KEY}.${user.username}`;
  outboxKey = `tilsyn.night.outbox.${user.username}`;
  dropPlans(planKey);
  signOutGuards.push(() => !outbox().length
    || confirm(`${outbox().length} task updates are not sent yet (no signal). Sign out and lose them?`));
  const cached = JSON.parse(localStorage.getItem(planKey) ?? "null");
  if (cached && Date.parse(cached.shift_ends) + OVERRUN_GRACE_MS > Date.now()) render(cached);
  else localStorage.removeItem(planKey);
  await load();
  if (leaving) return;
  // A plan left on screen says so once its shift is over, with or without signal.
  setInterval(() => lastPlan && !leaving && showSummary(withPending(lastPlan).tasks), 60000);
  window.addEventListener("online", flush);
  liveStream("/api/night/stream", "plan", { onEvent: render, onState: onConnection, onRefused, retryMs: 2000 });
  if (outbox().length) flush();
}

start(main);
