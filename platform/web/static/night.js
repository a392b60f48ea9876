// The night nurse's task list: in visiting order, with time window, ETA, reason, a link that
// opens the phone's navigation, and acknowledge / start / done. The plan arrives whole on a
// live stream; the last plan is kept on the phone so a dead link never leaves a blank screen.
import { api, start, element, formatTime, liveStream, requireRole, showConnection } from "./common.js";

const CACHE_KEY = "tilsyn.night.plan";
const ACTIONS = [
  { action: "acknowledge", label: "Acknowledge", from: ["planned"] },
  { action: "start", label: "Start", from: ["planned", "acknowledged"] },
  { action: "done", label: "Done", from: ["started"] },
];
let known = null; // task ids already shown, to mark the ones that arrive during the shift

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
  const classes = ["task", task.urgent ? "urgent" : "", task.state, fresh ? "new" : ""].join(" ");
  return element("li", { class: classes, dataset: { taskId: task.task_id } },
    element("h2", {}, element("span", { class: "position" }, String(task.position)),
      task.location_name, task.urgent ? element("span", { class: "urgent-tag" }, "URGENT") : null),
    element("p", { class: "when" },
      element("span", {}, `Window ${formatTime(task.window_start)}–${formatTime(task.window_end)}`),
      element("strong", {}, `ETA ${formatTime(task.eta)}`)),
    element("p", { class: "reason" }, task.reason),
    element("p", { class: "address" }, navigationLink(task)),
    element("p", { class: "state" }, task.state),
    element("div", { class: "actions" }, ...buttons));
}

function render(plan) {
  const tasks = [...plan.tasks].sort((a, b) => a.position - b.position);
  const arrived = known ? tasks.filter((t) => !known.has(t.task_id)) : [];
  known = new Set(tasks.map((t) => t.task_id));
  document.getElementById("tasks").replaceChildren(...tasks.map((t) => card(t, arrived.includes(t))));
  const left = tasks.filter((t) => t.state !== "done").length;
  document.getElementById("summary").textContent = `${left} of ${tasks.length} tasks left`;
  const urgent = arrived.filter((t) => t.urgent);
  if (urgent.length) {
    document.getElementById("announce").textContent = `New urgent task: ${urgent.map((t) => t.location_name).join(", ")}`;
    navigator.vibrate?.([200, 100, 200]);
  }
  localStorage.setItem(CACHE_KEY, JSON.stringify(plan));
}

async function act(taskId, action) {
  const status = document.getElementById("night-status");
  try {
    await api(`/api/night/tasks/${encodeURIComponent(taskId)}/${action}`, { method: "POST" });
    status.hidden = true;
    render(await api("/api/night/plan"));
  } catch (error) {
    status.hidden = false;
    status.textContent = `Could not ${action}: ${error.message}. Try again when the signal is back.`;
  }
}

function onConnection(state) {
  showConnection(state);
  const status = document.getElementById("night-status");
  status.hidden = state === "live";
  if (state !== "live") status.textContent = "No connection. Showing the last plan received; it updates by itself when the signal is back.";
}

async function main() {
  await requireRole("night_nurse");
  const cached = localStorage.getItem(CACHE_KEY);
  if (cached) render(JSON.parse(cached));
  try {
    render(await api("/api/night/plan"));
  } catch {
    onConnection("offline");
  }
  liveStream("/api/night/stream", "plan", { onEvent: render, onState: onConnection, retryMs: 2000 });
}

start(main);
