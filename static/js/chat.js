// The in-room chat panel (player and host), over /ws/chat/<pin>/. Message text is inserted as text only.
import { GameSocket, wsUrl } from "./socket.js";
import { $, fill, h, t } from "./ui.js";

const ERRORS = {
  rate_limited: "chat_rate_limited",
  too_long: "chat_too_long",
  muted: "chat_muted",
  read_only: "chat_read_only",
  chat_off: "chat_off",
};
const MAX_SHOWN = 200;

/**
 * @param {HTMLElement} root  the .chat section
 * @param {object} o
 * @param {string} o.pin
 * @param {string|null} o.token  the player's token (null for the host, who is known by its session)
 * @param {boolean} o.isHost  the host may delete messages and mute players
 */
export function mountChat(root, { pin, token = null, isHost = false }) {
  const log = $(".chat-log", root);
  const form = $(".chat-form", root);
  const input = $(".chat-input", root);
  const status = $(".chat-status", root);
  const error = $(".chat-error", root);
  const rows = new Map();
  const muted = new Set(); // player ids the host has muted
  root.hidden = false;

  const socket = new GameSocket({
    url: wsUrl(`/ws/chat/${pin}/`),
    hello: () => (token ? { type: "hello", token } : null),
    isReady: (frame) => frame.type === "history",
    onState: (state) => {
      root.dataset.state = state;
      status.textContent = state === "reconnecting" || state === "closed" ? t("chat_offline") : "";
    },
    onFrame,
    pingEveryMs: 30000,
  }).start();

  function onFrame(frame) {
    if (frame.type === "history") {
      rows.clear();
      fill(log);
      for (const message of frame.messages ?? []) add(message, false);
      setEnabled(frame.enabled !== false);
      root.dataset.ready = "1";
    } else if (frame.type === "message") {
      add(frame, true);
    } else if (frame.type === "deleted") {
      rows.get(frame.id)?.remove();
      rows.delete(frame.id);
    } else if (frame.type === "muted") {
      onMuted(frame);
    } else if (frame.type === "chat_state") {
      setEnabled(frame.enabled);
    } else if (frame.type === "kicked") {
      socket.stop();
      root.hidden = true;
    } else if (frame.type === "error") {
      error.textContent = ERRORS[frame.code] ? t(ERRORS[frame.code]) : t("error", { message: frame.message });
    }
  }

  function add(message, scroll) {
    if (rows.has(message.id)) return;
    const time = message.ts ? new Date(message.ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
    const row = h(
      "li",
      { class: `chat-msg role-${message.role ?? "player"}`, dataset: { id: String(message.id) } },
      h("span", { class: "chat-author" }, message.author ?? ""),
      message.role === "host" ? h("span", { class: "chat-badge" }, t("chat_host")) : null,
      h("span", { class: "chat-text" }, message.text ?? ""),
      h("time", { class: "chat-time" }, time),
      isHost ? hostTools(message) : null,
    );
    rows.set(message.id, row);
    log.append(row);
    while (log.children.length > MAX_SHOWN) {
      const first = log.firstElementChild;
      rows.delete(Number(first.dataset.id));
      rows.delete(first.dataset.id);
      first.remove();
    }
    if (scroll) log.scrollTop = log.scrollHeight;
  }

  /** The host turned the chat off or on: the panel hides (on the projector too) and shows again. */
  function setEnabled(enabled) {
    root.hidden = !enabled;
    root.dataset.enabled = String(!!enabled);
    if (enabled && error.textContent === t("chat_off")) error.textContent = "";
  }

  function onMuted(frame) {
    if (!isHost) {
      status.textContent = frame.muted ? t("chat_muted") : "";
      input.disabled = !!frame.muted;
      return;
    }
    if (frame.muted) muted.add(frame.player_id);
    else muted.delete(frame.player_id);
    for (const button of log.querySelectorAll(".chat-mute")) {
      if (button.dataset.playerId === frame.player_id) setMuteLabel(button);
    }
  }

  function setMuteLabel(button) {
    const on = muted.has(button.dataset.playerId);
    button.textContent = on ? t("chat_unmute") : t("chat_mute");
    button.setAttribute("aria-pressed", String(on));
  }

  function hostTools(message) {
    const tools = h("span", { class: "chat-tools" });
    tools.append(
      h(
        "button",
        { type: "button", class: "btn small ghost", onclick: () => socket.send({ type: "delete", id: message.id }) },
        t("chat_delete"),
      ),
    );
    if (message.role !== "host" && message.player_id) {
      const button = h("button", {
        type: "button",
        class: "btn small ghost chat-mute",
        dataset: { playerId: message.player_id },
        onclick: () => {
          const type = muted.has(message.player_id) ? "unmute" : "mute";
          socket.send({ type, player_id: message.player_id });
        },
      });
      setMuteLabel(button);
      tools.append(button);
    }
    return tools;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    error.textContent = "";
    if (!text || text.length > 500) {
      error.textContent = t("chat_too_long");
      return;
    }
    if (socket.send({ type: "say", text })) input.value = "";
    else error.textContent = t("chat_offline");
  });

  socket.setEnabled = setEnabled;
  return socket;
}
