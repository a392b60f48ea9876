// The first screen: every container and how full it is, refreshed every few seconds.
"use strict";

const REFRESH_MS = 3000;

function fillClass(fill) {
  if (fill === null) return "unknown";
  if (fill >= 80) return "full";
  if (fill >= 50) return "half";
  return "low";
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function fillCell(fill) {
  const td = document.createElement("td");
  const bar = document.createElement("div");
  bar.className = "bar " + fillClass(fill);
  const level = document.createElement("span");
  level.style.width = (fill ?? 0) + "%";
  bar.appendChild(level);
  const label = document.createElement("span");
  label.className = "fill-value";
  label.textContent = fill === null ? "no data" : fill.toFixed(1) + " %";
  td.append(bar, label);
  return td;
}

function renderContainers(containers) {
  const body = document.querySelector("#containers tbody");
  const rows = containers.map((c) => {
    const tr = document.createElement("tr");
    tr.dataset.containerId = c.container_id;
    tr.append(
      cell(c.container_id),
      cell(c.waste_kind),
      fillCell(c.fill_percent),
      cell(c.battery_percent === null ? "–" : c.battery_percent + " %"),
      cell(c.tilt === null ? "–" : c.tilt ? "tilted" : "upright", c.tilt ? "alarm" : ""),
      cell(c.time ? new Date(c.time).toLocaleString() : "–"),
    );
    return tr;
  });
  body.replaceChildren(...rows);
  const full = containers.filter((c) => (c.fill_percent ?? 0) >= 80).length;
  document.getElementById("summary").textContent =
    `${containers.length} containers · ${full} at 80 % or more · updated ${new Date().toLocaleTimeString()}`;
}

function renderQuarantine(items) {
  const list = document.getElementById("quarantine");
  const entries = items.slice(0, 20).map((q) => {
    const li = document.createElement("li");
    li.textContent = `${new Date(q.received_at).toLocaleString()} · ${q.dev_eui ?? "?"} · ${q.reason}`;
    return li;
  });
  if (entries.length === 0) {
    const li = document.createElement("li");
    li.textContent = "None.";
    entries.push(li);
  }
  list.replaceChildren(...entries);
}

function showLogin(show) {
  document.getElementById("login").hidden = !show;
  document.getElementById("content").hidden = show;
}

async function getJson(url) {
  const response = await fetch(url);
  if (response.status === 401) throw new Error("signed-out");
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

async function refresh() {
  try {
    const [me, containers, quarantine] = await Promise.all([
      getJson("/api/auth/me"),
      getJson("/api/containers"),
      getJson("/api/ingest/quarantine?limit=20"),
    ]);
    showLogin(false);
    document.getElementById("who").textContent = `${me.username} (${me.role})`;
    renderContainers(containers);
    renderQuarantine(quarantine);
  } catch (error) {
    if (error.message === "signed-out") {
      showLogin(true);
      document.getElementById("summary").textContent = "Sign in to see the containers.";
    } else {
      document.getElementById("summary").textContent = "Cannot reach the platform; retrying…";
    }
  }
}

document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await fetch("/api/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: form.get("username"), password: form.get("password") }),
  });
  const message = document.getElementById("login-error");
  if (response.ok) {
    message.textContent = "";
    refresh();
  } else {
    const body = await response.json().catch(() => ({}));
    message.textContent = body.detail ?? "Sign-in failed.";
  }
});

refresh();
setInterval(refresh, REFRESH_MS);
