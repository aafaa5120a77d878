// The host console: lobby with PIN and QR, live questions, reveal chart, leaderboard, podium, controls.
import { mountChat } from "./chat.js";
import { placeExplanation, placeImage } from "./media.js";
import { GetReady, placeHint } from "./ready.js";
import { CLOSE, GameSocket, wsUrl } from "./socket.js";
import {
  $,
  Countdown,
  barChart,
  choiceText,
  config,
  connectionBanner,
  fill,
  h,
  leaderboard,
  podium,
  shapeIcon,
  shapeName,
  showView,
  t,
} from "./ui.js";

const cfg = config();
const pin = cfg.pin;
const app = document.getElementById("host-app");
const views = $("#host-views");

// The players shown, by nickname (case-folded) -> {nickname, id}: host_welcome's first page, the pages loaded
// with "show more" (`roster` frames carry ids) and the newest names from `lobby` frames (names only).
// Never the whole room: a large game is paged.
const roster = new Map();
const PAGE = 100;
let playerCount = 0; // active players in the game, from the server's counts
let pageNext = 0; // offset of the next roster page to ask for
let pageTotal = 0; // players in the paged roster (kicked ones included)
let pageAsked = false;
let exhaustedAt = -1; // playerCount when a page came back empty: nothing to load until more join
let phase = "lobby";
let locked = false;
let lateJoin = false;
let confirming = null; // the roster key of the player whose kick waits for "Yes, remove"
let noticeTimer = null;
let question = null;
let chat = null;
let chatOn = true;
let getReadyMs = 0;
const auto = { enabled: false, delayMs: 5000, at: 0, timer: null };

const countdown = new Countdown($("#q-countdown"), { now: () => socket.clock.now() });
const ready = new GetReady($("#view-question"), { now: () => socket.clock.now() });

const socket = new GameSocket({
  url: wsUrl(`/ws/host/${pin}/`),
  isReady: (frame) => frame.type === "host_welcome",
  onState,
  onFrame,
});

function onState(state, detail) {
  connectionBanner(state);
  app.dataset.socket = state;
  updateControls();
  renderMore();
  if (state === "closed") {
    const text = {
      [CLOSE.UNAUTHENTICATED]: t("host_login"),
      [CLOSE.FORBIDDEN]: t("host_forbidden"),
      [CLOSE.UNKNOWN_PIN]: t("unknown_pin", { pin }),
    }[detail.code];
    if (text) fill($("#host-error"), text);
  }
}

function onFrame(frame) {
  switch (frame.type) {
    case "host_welcome":
      return onWelcome(frame);
    case "lobby":
      return onLobby(frame);
    case "question":
      return onQuestion(frame, 0, null);
    case "roster":
      return onRosterPage(frame);
    case "answer_count":
      return setAnswered(frame.answered, frame.players);
    case "reclaim_ask":
      asks.set(frame.request_id, frame.nickname);
      return renderAsks();
    case "reclaim_settled":
      asks.delete(frame.request_id);
      return renderAsks();
    case "reveal":
      return onReveal(frame);
    case "leaderboard":
      return onLeaderboard(frame);
    case "finished":
      return onFinished(frame);
    case "lock":
      return setLocked(frame.locked);
    case "late_join":
      return setLateJoin(frame.allowed);
    case "chat_state":
      return setChat(frame.enabled);
    case "get_ready":
      return setGetReady(frame.get_ready_ms);
    case "auto_advance":
      return setAuto(frame.enabled, frame.delay_ms, frame.advance_at);
    case "player_kicked":
      rosterMark(frame, true);
      playerCount = Math.max(0, playerCount - 1);
      renderRoster();
      notice(t("removed", { nickname: frame.nickname }));
      return;
    case "player_unkicked":
      rosterMark(frame, false);
      renderRoster();
      notice(t("back_in", { nickname: frame.nickname }));
      return;
    case "error":
      fill($("#host-error"), t("error", { message: frame.message }));
      return;
    default:
      return;
  }
}

// --- players who lost their code and ask to get back in (protocol v1.4) ---

const asks = new Map(); // request id -> nickname, oldest first

function renderAsks() {
  $("#asks").hidden = asks.size === 0;
  fill(
    $("#asks-list"),
    [...asks].map(([requestId, nickname]) =>
      h(
        "li",
        { class: "ask", dataset: { request: requestId } },
        h("span", {}, t("ask_from", { nickname })),
        askButton("reclaim_approve", requestId, "btn small primary", t("ask_approve")),
        askButton("reclaim_deny", requestId, "btn small", t("ask_deny")),
      ),
    ),
  );
}

function askButton(type, requestId, className, label) {
  const answer = () => {
    if (!socket.send({ type, request_id: requestId })) return;
    asks.delete(requestId); // the settled frame confirms it on every console
    renderAsks();
  };
  return h("button", { type: "button", class: className, onclick: answer }, label);
}

function onWelcome(frame) {
  const game = frame.game;
  asks.clear();
  for (const ask of frame.reclaim_asks ?? []) asks.set(ask.request_id, ask.nickname);
  renderAsks();
  roster.clear();
  rosterAdd(frame.players);
  playerCount = frame.players_active ?? roster.size;
  pageNext = frame.players.length;
  pageTotal = frame.players_total ?? frame.players.length;
  pageAsked = false;
  renderRoster();
  setLocked(game.locked);
  setLateJoin(game.late_join);
  fill($("#host-error"));
  if (!chat && cfg.chat !== false) chat = mountChat($("#chat"), { pin, isHost: true });
  setChat(game.chat !== false);
  setGetReady(game.get_ready_ms ?? 0);
  setAuto(!!game.auto_advance, game.advance_ms ?? 5000, game.advance_at ?? 0);
  setPhase(game.phase);
  if (game.phase === "question" && game.question) onQuestion(game.question, frame.answered, playerCount);
  else if (game.phase === "reveal" || game.phase === "leaderboard") {
    // The snapshot replays the room's last frames: draw them as a live console would have.
    if (question?.round !== game.round) question = storedQuestion(game.round);
    if (game.reveal) onReveal(game.reveal);
    else {
      fill($("#reveal-title"), t("round_closed", { round: game.round }));
      fill($("#reveal-chart"));
      fill($("#reveal-note"));
      showView(views, "view-reveal");
    }
    if (game.leaderboard) onLeaderboard(game.leaderboard);
    setPhase(game.phase);
  } else if (game.phase === "finished") {
    if (game.finished) onFinished(game.finished);
    else showView(views, "view-finished");
  } else showView(views, "view-lobby");
}

// The reveal frame names choices by id only: the question (texts, shapes) is kept across a reload.
const questionKey = `qz:host-question:${pin}`;

function storedQuestion(round) {
  try {
    const stored = JSON.parse(sessionStorage.getItem(questionKey));
    return stored?.round === round ? stored : null;
  } catch {
    return null;
  }
}

// --- players -----------------------------------------------------------------------------------

function rosterAdd(players) {
  for (const p of players) {
    roster.set(p.nickname.toLowerCase(), { nickname: p.nickname, id: p.player_id, score: p.score, kicked: p.kicked });
  }
}

/** Kicked players stay in the list, struck through, with "Undo kick". */
function rosterMark(frame, kicked) {
  const key = frame.nickname.toLowerCase();
  roster.set(key, { ...roster.get(key), nickname: frame.nickname, id: frame.player_id, kicked });
  if (confirming === key) confirming = null;
}

const activeShown = () => [...roster.values()].filter((p) => !p.kicked).length;

/** A passing notice: it clears itself after a few seconds. */
function notice(text) {
  fill($("#host-notice"), text);
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => fill($("#host-notice")), 6000);
}

function onRosterPage(frame) {
  if (frame.prefix) return;
  rosterAdd(frame.players);
  pageNext = Math.max(pageNext, frame.offset + frame.players.length);
  pageTotal = frame.total;
  pageAsked = false;
  if (frame.players.length === 0) exhaustedAt = playerCount;
  renderRoster();
}

function showMore() {
  if (pageAsked) return;
  pageAsked = true;
  renderMore();
  socket.send({ type: "roster", offset: pageNext, limit: PAGE });
}

function onLobby(frame) {
  const names = frame.nicknames ?? [];
  const seen = new Set(names.map((n) => n.toLowerCase()));
  // The list is complete when shorter than its cap: names missing from it have left (kicked).
  if (names.length >= frame.players) {
    for (const [key, p] of [...roster]) if (!seen.has(key) && !p.kicked) roster.delete(key);
  }
  for (const name of names) {
    if (!roster.has(name.toLowerCase())) roster.set(name.toLowerCase(), { nickname: name, id: null });
  }
  playerCount = frame.players;
  renderRoster();
}

function renderMore() {
  const more = $("#players-more");
  // Pages are in join order: players not shown yet (also those who joined since) are past pageNext.
  const shown = activeShown();
  more.hidden = shown >= playerCount || exhaustedAt === playerCount;
  more.disabled = pageAsked || !(socket?.isOpen ?? false);
  fill(more, t("show_more", { shown, total: playerCount }));
}

function renderRoster() {
  const count = playerCount;
  fill($("#player-count"), t("players", { n: count }));
  $("#lobby-count").textContent = String(count);
  renderMore();
  const list = $("#players");
  if (roster.size === 0) {
    fill(list, h("li", { class: "muted" }, t("no_players")));
    return;
  }
  fill(
    list,
    [...roster.values()].map((p) =>
      h(
        "li",
        { class: p.kicked ? "player is-kicked" : "player", dataset: { nickname: p.nickname } },
        h("span", { class: "player-name" }, p.nickname),
        playerActions(p),
      ),
    ),
  );
}

function playerActions(p) {
  const over = phase === "finished";
  if (p.kicked) {
    return h(
      "button",
      {
        type: "button",
        class: "btn small unkick",
        "aria-label": t("unkick_label", { nickname: p.nickname }),
        disabled: over,
        onclick: () => playerCommand("unkick", p.nickname),
      },
      t("unkick"),
    );
  }
  if (confirming === p.nickname.toLowerCase() && !over) {
    return h(
      "span",
      { class: "confirm", role: "group" },
      t("kick_confirm", { nickname: p.nickname }),
      h(
        "button",
        { type: "button", class: "btn danger small kick-yes", onclick: () => playerCommand("kick", p.nickname) },
        t("kick_yes"),
      ),
      h("button", { type: "button", class: "btn small kick-no", onclick: () => confirmKick(null) }, t("cancel")),
    );
  }
  return h(
    "button",
    {
      type: "button",
      class: "btn small ghost kick",
      "aria-label": t("kick_label", { nickname: p.nickname }),
      disabled: over,
      onclick: () => confirmKick(p.nickname),
    },
    t("kick"),
  );
}

/** Kick asks first: the button turns into "Remove ann? Yes, remove / Cancel" (Cancel has the focus). */
function confirmKick(nickname) {
  const key = nickname?.toLowerCase() ?? confirming;
  confirming = nickname ? key : null;
  renderRoster();
  const row = [...$("#players").children].find((li) => li.dataset.nickname?.toLowerCase() === key);
  row?.querySelector(nickname ? ".kick-no" : ".kick")?.focus();
}

function playerCommand(type, nickname) {
  // `lobby` frames carry names only: a player not yet known by id is named by nickname.
  confirming = null;
  const entry = roster.get(nickname.toLowerCase());
  socket.send(entry?.id ? { type, player_id: entry.id } : { type, nickname });
  renderRoster();
}

// --- rounds ------------------------------------------------------------------------------------

function onQuestion(frame, answered, players) {
  question = frame;
  sessionStorage.setItem(questionKey, JSON.stringify(frame));
  setPhase("question");
  fill($("#q-round"), t("round_of", { round: frame.round, total: frame.total_rounds }));
  fill($("#q-text"), frame.text);
  placeImage($("#q-text"), frame);
  placeHint($("#q-text"), frame);
  fill($("#q-choices"), questionChoices(frame));
  setAnswered(answered, players ?? playerCount);
  showView(views, "view-question");
  countdown.stop();
  ready.start(frame, () => countdown.start(frame.deadline, frame.time_limit_ms));
}

function questionChoices(q) {
  if (q.kind === "slider") return h("li", { class: "range-note" }, `${q.min} – ${q.max}`);
  if (q.kind === "text") return h("li", { class: "range-note" }, t("type_answer"));
  return q.choices.map((choice, i) =>
    h("li", { class: `choice shape-${shapeName(i)}` }, shapeIcon(i), h("span", {}, choiceText(q.kind, choice))),
  );
}

function setAnswered(answered, players) {
  const node = $("#q-answered");
  node.dataset.answered = String(answered);
  fill(node, t("answered", { answered, players }));
}

function onReveal(frame) {
  countdown.stop();
  ready.stop();
  setPhase("reveal");
  fill($("#reveal-title"), question ? question.text : t("round_closed", { round: frame.round }));
  fill($("#reveal-chart"), barChart(chartRows(frame)));
  placeExplanation($("#reveal-chart"), frame.explanation);
  const reason = { all_answered: "reason_all_answered", timeout: "reason_timeout", skip: "reason_skip" }[
    frame.reason
  ];
  fill(
    $("#reveal-note"),
    [t("answered", { answered: frame.answered, players: frame.players }), reason ? t(reason) : ""]
      .filter(Boolean)
      .join(" · "),
  );
  showView(views, "view-reveal");
}

function chartRows(frame) {
  const dist = frame.distribution ?? {};
  const q = question && question.round === frame.round ? question : null;
  if (frame.buckets) {
    const { value, tolerance = 0 } = frame.correct ?? {};
    return frame.buckets.map(([lo, hi], i) => ({
      label: `${round(lo)} – ${round(hi)}`,
      count: dist[String(i)] ?? 0,
      correct: value !== undefined && value + tolerance >= lo && value - tolerance <= hi,
    }));
  }
  if (q && q.choices?.length) {
    const correct = new Set(q.kind === "poll" ? [] : frame.correct ?? []);
    return q.choices.map((choice, i) => ({
      label: choiceText(q.kind, choice),
      count: dist[String(choice.id)] ?? 0,
      correct: correct.has(choice.id),
      icon: shapeIcon(i),
      shape: shapeName(i),
    }));
  }
  // Text answers: the answers given (normalised by the server), the accepted ones marked.
  const accepted = new Set((frame.correct ?? []).map((a) => String(a).trim().toLowerCase()));
  const rows = Object.entries(dist).map(([label, count]) => ({ label, count, correct: accepted.has(label) }));
  for (const answer of accepted) if (!(answer in dist)) rows.push({ label: answer, count: 0, correct: true });
  return rows;
}

function round(x) {
  return Math.round(x * 100) / 100;
}

function onLeaderboard(frame) {
  setPhase("leaderboard");
  fill($("#lb-list"), leaderboard(frame.top));
  showView(views, "view-leaderboard");
}

function onFinished(frame) {
  countdown.stop();
  ready.stop();
  setPhase("finished");
  renderRoster();
  fill($("#final-podium"), podium(frame.podium ?? []));
  showView(views, "view-finished");
}

// --- controls ----------------------------------------------------------------------------------

function setPhase(next) {
  phase = next;
  app.dataset.phase = next;
  updateControls();
}

function setLocked(value) {
  locked = !!value;
  fill($("#btn-lock"), locked ? t("unlock") : t("lock"));
  $("#btn-lock").setAttribute("aria-pressed", String(locked));
  $("#locked-note").hidden = !locked;
}

function setLateJoin(value) {
  lateJoin = !!value;
  fill($("#btn-late"), lateJoin ? t("late_join_on") : t("late_join_off"));
  $("#btn-late").setAttribute("aria-pressed", String(lateJoin));
}

function setChat(enabled) {
  chatOn = !!enabled;
  chat?.setEnabled(chatOn);
  fill($("#btn-chat"), chatOn ? t("chat_turn_off") : t("chat_turn_on"));
  $("#btn-chat").setAttribute("aria-pressed", String(!chatOn));
}

function setGetReady(ms) {
  getReadyMs = ms || 0;
  fill($("#btn-ready"), getReadyMs ? t("get_ready_on") : t("get_ready_off"));
  $("#btn-ready").setAttribute("aria-pressed", String(!!getReadyMs));
}

/** Auto-advance on or paused; while a step is pending, "Next in N s" counts down to it. */
function setAuto(enabled, delayMs, at) {
  Object.assign(auto, { enabled: !!enabled, delayMs: delayMs ?? auto.delayMs, at: at || 0 });
  fill($("#btn-auto"), auto.enabled ? t("auto_pause") : t("auto_start", { n: Math.round(auto.delayMs / 1000) }));
  $("#btn-auto").setAttribute("aria-pressed", String(auto.enabled));
  const seconds = String(Math.round(auto.delayMs / 1000));
  if ([...$("#auto-delay").options].some((o) => o.value === seconds)) $("#auto-delay").value = seconds;
  clearTimeout(auto.timer);
  const tick = () => {
    const left = auto.enabled && auto.at ? auto.at - socket.clock.now() : 0;
    fill($("#auto-note"), left > 0 ? t("auto_next_in", { n: Math.ceil(left / 1000) }) : "");
    if (left > 0) auto.timer = setTimeout(tick, Math.min(250, left));
  };
  tick();
}

function updateControls() {
  const open = socket?.isOpen ?? false;
  const visible = {
    "btn-start": phase === "lobby",
    "btn-skip": phase === "question",
    "btn-next": phase === "reveal" || phase === "leaderboard",
    "btn-lock": phase !== "finished",
    "btn-late": phase !== "finished",
    "btn-chat": phase !== "finished",
    "btn-ready": phase !== "finished",
    "btn-auto": phase !== "finished",
    "auto-delay-label": phase !== "finished",
    "btn-end": phase !== "finished",
  };
  for (const [id, show] of Object.entries(visible)) {
    const button = document.getElementById(id);
    button.hidden = !show;
    button.disabled = !open;
  }
  if (phase === "finished") $("#end-confirm").hidden = true;
}

function command(type) {
  fill($("#host-error"));
  socket.send({ type });
}

$("#players-more").addEventListener("click", showMore);
$("#btn-start").addEventListener("click", () => command("start"));
$("#btn-skip").addEventListener("click", () => command("skip"));
$("#btn-next").addEventListener("click", () => command("next"));
$("#btn-lock").addEventListener("click", () => command(locked ? "unlock" : "lock"));
$("#btn-late").addEventListener("click", () => {
  fill($("#host-error"));
  socket.send({ type: "late_join", allowed: !lateJoin });
});
$("#btn-chat").addEventListener("click", () => {
  fill($("#host-error"));
  socket.send({ type: "chat", enabled: !chatOn });
});
$("#btn-ready").addEventListener("click", () => {
  fill($("#host-error"));
  socket.send({ type: "get_ready", enabled: !getReadyMs });
});
$("#btn-auto").addEventListener("click", () => {
  fill($("#host-error"));
  socket.send({ type: "auto_advance", enabled: !auto.enabled, delay_ms: autoDelayMs() });
});
$("#auto-delay").addEventListener("change", () => {
  if (auto.enabled) socket.send({ type: "auto_advance", enabled: true, delay_ms: autoDelayMs() });
  else setAuto(false, autoDelayMs(), 0);
});

/** The pause the host chose between automatic steps. */
function autoDelayMs() {
  return Number($("#auto-delay").value) * 1000;
}
$("#btn-end").addEventListener("click", () => {
  $("#end-confirm").hidden = false;
  $("#btn-end-no").focus();
});
$("#btn-end-no").addEventListener("click", () => {
  $("#end-confirm").hidden = true;
  $("#btn-end").focus();
});
$("#btn-end-yes").addEventListener("click", () => {
  $("#end-confirm").hidden = true;
  command("end");
});

renderRoster();
socket.start();
