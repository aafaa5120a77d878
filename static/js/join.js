// The join page: checks the PIN against the API before going to the play page.
import { $, fill, t } from "./ui.js";

const form = $("#join-form");
const pinInput = $("#pin");
const nickInput = $("#nickname");
const error = $("#join-error");

function fail(text, input) {
  fill(error, text);
  input.setAttribute("aria-invalid", "true");
  input.focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const pin = pinInput.value.replace(/\s+/g, "");
  const nickname = nickInput.value.trim();
  fill(error);
  pinInput.removeAttribute("aria-invalid");
  nickInput.removeAttribute("aria-invalid");
  if (!/^\d{6}$/.test(pin)) return fail(t("pin_invalid"), pinInput);
  // A stored session resumes, unless the player typed another nickname: then they join under that one.
  const stored = sessionStorage.getItem(`qz:me:${pin}`) ?? "";
  const resuming =
    !!sessionStorage.getItem(`qz:token:${pin}`) && (!nickname || nickname.toLowerCase() === stored.toLowerCase());
  if (!resuming && (nickname.length < 1 || nickname.length > 24)) return fail(t("nickname_invalid"), nickInput);
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const response = await fetch(`/api/games/${pin}/`, { headers: { Accept: "application/json" } });
    if (response.status === 404) return fail(t("unknown_pin", { pin }), pinInput);
    if (!response.ok) return fail(t("network_error"), pinInput);
    const game = await response.json();
    if (!resuming) {
      if (game.status === "finished" || game.phase === "finished") return fail(t("game_over_pin", { pin }), pinInput);
      // A running game: the play page offers a late join (if the host allows it) or the reclaim form.
      const started = game.status === "running" || (game.phase && game.phase !== "lobby");
      if (game.locked && !started) return fail(t("game_locked"), pinInput);
      sessionStorage.setItem(`qz:nickname:${pin}`, nickname);
    }
    location.assign(form.dataset.playUrl.replace("000000", pin));
  } catch {
    fail(t("network_error"), pinInput);
  } finally {
    button.disabled = false;
  }
});
