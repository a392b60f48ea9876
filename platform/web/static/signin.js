// The front door: sign in, then go to the one screen the role's job needs.
import { HOME_OF_ROLE } from "./common.js";

async function goHomeIfSignedIn() {
  const response = await fetch("/api/auth/me").catch(() => null);
  if (response?.ok) location.replace(HOME_OF_ROLE[(await response.json()).role]);
}

document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const message = document.getElementById("login-error");
  message.textContent = "";
  let response;
  try {
    response = await fetch("/api/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: form.get("username"), password: form.get("password") }),
    });
  } catch {
    message.textContent = "No connection to the server. Check the network and try again.";
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (response.ok) location.assign(HOME_OF_ROLE[body.role]);
  else message.textContent = body.detail ?? "Sign-in failed.";
});

goHomeIfSignedIn();
