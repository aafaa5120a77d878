// The player's page: join or resume, answer each question, see feedback, leaderboard and final rank.
import { answerControls } from "./answers.js";
import { mountChat } from "./chat.js";
import { placeExplanation, placeImage } from "./media.js";
import { GetReady, placeHint } from "./ready.js";
import { CLOSE, GameSocket, wsUrl } from "./socket.js";
import {
  $,
  Countdown,
  choiceText,
  config,
  connectionBanner,
  fill,
  h,
  leaderboard,
  podium,
  showView,
  t,
} from "./ui.js";

const cfg = config();
const pin = cfg.pin;
const app = document.getElementById("play-app");

// Per-PIN session storage: survives a reload of this tab, not shared with other tabs.
const keys = {
  token: `qz:token:${pin}`,
  nickname: `qz:nickname:${pin}`,
  me: `qz:me:${pin}`,
  // The question and whether it was answered, for a reload during its reveal (frames carry ids only).
  question: `qz:question:${pin}`,
  answered: `qz:answered:${pin}`,
  code: `qz:code:${pin}`, // the reclaim code shown at join: nickname + code take the place back
};
const session = {
  get: (key) => sessionStorage.getItem(key),
  set: (key, value) => (value ? sessionStorage.setItem(key, value) : sessionStorage.removeItem(key)),
};

const me = { nickname: session.get(keys.me), score: 0, rank: null, streak: 0, joined: false };
let pendingNickname = session.get(keys.nickname);
let question = null;
let answered = false;
let players = 0;
let reveal = null;
let podiumShown = null;
let chat = null;
let over = false;
let pendingReclaim = null; // {nickname, code} sent until a welcome or an error answers it
let pendingAsk = null; // {nickname} asked of the host, until the host or an error answers

const sameName = (a, b) => !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();

const countdown = new Countdown($("#q-countdown"), { now: () => socket.clock.now() });
const ready = new GetReady($("#view-question"), { now: () => socket.clock.now() });

const socket = new GameSocket({
  url: playUrl,
  hello: () => {
    const token = session.get(keys.token);
    if (pendingReclaim) return { type: "reclaim", ...pendingReclaim };
    if (pendingAsk) return { type: "reclaim_ask", ...pendingAsk }; // a request dies with its socket: ask again
    // A new nickname typed on a phone that is in the game already: join as that one, not the old player.
    if (pendingNickname && !(token && sameName(pendingNickname, me.nickname))) {
      return { type: "join", nickname: pendingNickname };
    }
    if (token) return { type: "resume", token };
    return null;
  },
  isReady: (frame) => frame.type === "welcome",
  onState,
  onFrame,
});

/** The worker to connect to, from the gateway (any worker serves any player); this host if it fails. */
async function playUrl() {
  try {
    const response = await fetch(`/api/gateway/?pin=${encodeURIComponent(pin)}`, {
      headers: { Accept: "application/json" },
    });
    if (response.status === 404) {
      throw Object.assign(new Error("unknown PIN"), { terminal: true, code: CLOSE.UNKNOWN_PIN });
    }
    if (response.ok) {
      const { url } = await response.json();
      const insecure = location.protocol === "https:" && url.startsWith("ws:");
      if (url && !insecure) return url;
    }
  } catch (err) {
    if (err.terminal) throw err;
  }
  return wsUrl(`/ws/play/${pin}/`);
}

function onState(state, detail) {
  connectionBanner(state);
  app.dataset.socket = state;
  if (state === "open" && !session.get(keys.token) && !pendingNickname && !pendingReclaim && !pendingAsk) {
    showNickname();
  }
  if (state === "closed" && !over) {
    if (detail.code === CLOSE.UNKNOWN_PIN) message(t("unknown_pin", { pin }));
    else if (detail.code === CLOSE.FORBIDDEN) kicked();
  }
}

function onFrame(frame) {
  switch (frame.type) {
    case "welcome":
      return onWelcome(frame);
    case "error":
      return onError(frame);
    case "lobby":
      return onLobby(frame);
    case "reclaim_asked":
      return fill($("#reclaim-status"), t("ask_waiting"));
    case "reclaim_approved":
      return onAskApproved(frame);
    case "reclaim_denied":
      pendingAsk = null;
      fill($("#reclaim-status"));
      return fill($("#reclaim-error"), t("ask_denied"));
    case "lock":
      $("#lobby-locked").hidden = !frame.locked;
      return;
    case "question":
      return onQuestion(frame, false);
    case "answer_ack":
      return onAnswerAck(frame);
    case "reveal":
      return onReveal(frame);
    case "result":
      return onResult(frame);
    case "leaderboard":
      return onLeaderboard(frame);
    case "finished":
      return onFinished(frame);
    case "final":
      return onFinal(frame);
    case "kicked":
      return kicked(frame.reason);
    case "chat_state":
      return chat?.setEnabled(frame.enabled);
    default:
      return;
  }
}

// --- identity ----------------------------------------------------------------------------------

function onWelcome(frame) {
  session.set(keys.token, frame.token);
  session.set(keys.me, frame.nickname);
  session.set(keys.nickname, null);
  if (frame.reclaim_code) session.set(keys.code, frame.reclaim_code);
  pendingNickname = null;
  pendingReclaim = null;
  me.joined = true;
  me.nickname = frame.nickname;
  $("#me-nick").textContent = frame.nickname;
  showCode();
  if (!chat && cfg.chat !== false) chat = mountChat($("#chat"), { pin, token: frame.token });
  applySnapshot(frame.game);
}

function applySnapshot(game) {
  setScore(game.score ?? 0, game.rank, game.streak);
  chat?.setEnabled(game.chat !== false);
  $("#lobby-locked").hidden = !game.locked;
  if (game.phase === "lobby") return showLobby();
  if (game.phase === "question" && game.question) return onQuestion(game.question, !!game.answered);
  if (game.phase === "finished") {
    // The snapshot replays the podium and the player's own final line.
    if (game.finished) onFinished(game.finished);
    if (game.final) return onFinal(game.final);
    return showFinal(t("final_short", { rank: game.rank, score: game.score ?? 0 }));
  }
  if (game.reveal || game.result || game.leaderboard) {
    // Between rounds: replay what the room (and this player) last saw, as a live page would have.
    restoreQuestion(game.round);
    if (game.reveal) onReveal(game.reveal);
    if (game.result) onResult(game.result);
    if (game.leaderboard) onLeaderboard(game.leaderboard);
    return;
  }
  // Between rounds without replayed frames: show where the player stands.
  feedback("waiting", t("round_closed", { round: game.round }), [
    t("score", { score: me.score }),
    me.rank ? `#${me.rank}` : "",
    t("get_ready"),
  ]);
}

function restoreQuestion(round) {
  if (question?.round === round) return;
  try {
    const stored = JSON.parse(session.get(keys.question));
    question = stored?.round === round ? stored : null;
  } catch {
    question = null;
  }
  answered = session.get(keys.answered) === String(round);
}

/** The reclaim code in the lobby and the header, so the player can note it. */
function showCode() {
  const code = session.get(keys.code);
  $("#me-code").hidden = !code;
  $("#reclaim-note").hidden = !code;
  if (!code) return;
  fill($("#me-code"), code);
  fill($("#reclaim-note"), t("your_code", { code }));
}

function onError(frame) {
  const joinCodes = {
    nickname_taken: "nickname_taken",
    invalid: frame.reason === "nickname_invisible" ? "nickname_invisible" : "nickname_invalid",
    game_locked: "game_locked",
    game_started: "game_started",
  };
  if (pendingAsk && ["rate_limited", "forbidden", "invalid"].includes(frame.code)) {
    pendingAsk = null;
    fill($("#reclaim-status"));
    if (frame.code === "forbidden") return kicked();
    return fill($("#reclaim-error"), t(frame.code === "rate_limited" ? "ask_rate_limited" : "ask_unknown"));
  }
  if (pendingReclaim && ["bad_code", "rate_limited", "forbidden", "invalid"].includes(frame.code)) {
    const tried = pendingReclaim;
    pendingReclaim = null;
    if (frame.code === "forbidden") return kicked();
    return showReclaim(tried.nickname, frame.code === "rate_limited" ? t("reclaim_rate_limited") : t("bad_code"));
  }
  if (frame.code === "bad_token") {
    session.set(keys.token, null);
    pendingNickname = null;
    return showNickname(t("session_expired"));
  }
  if ((!me.joined || pendingNickname) && joinCodes[frame.code]) {
    const tried = pendingNickname;
    pendingNickname = null;
    session.set(keys.nickname, null);
    showNickname(t(joinCodes[frame.code]), tried);
    // Taken or started: it may be this player's own place, lost with the tab; the code gets it back.
    if (frame.code === "nickname_taken" || frame.code === "game_started" || frame.code === "game_locked") {
      showReclaim(tried);
    }
    return;
  }
  if (frame.code === "rate_limited" || frame.code === "not_found" || frame.code === "forbidden") return;
  $("#answer-status").textContent = t("error", { message: frame.message });
}

function showNickname(error = "", tried = null) {
  showView(app, "view-nickname");
  const input = $("#nickname");
  if (tried) input.value = tried; // never empty the box the player typed in
  else if (!input.value && me.nickname) input.value = me.nickname;
  $("#nickname-error").textContent = error;
  // A phone already in the game under another nickname may go back to that player.
  const oldToken = session.get(keys.token);
  $("#btn-continue").hidden = !(oldToken && me.nickname && !sameName(input.value, me.nickname));
  fill($("#btn-continue"), t("continue_as", { nickname: me.nickname ?? "" }));
  input.focus();
}

function showReclaim(nickname, error = "") {
  if (app.dataset.view !== "view-nickname") showNickname();
  $("#reclaim").hidden = false;
  if (nickname) $("#reclaim-nickname").value = nickname;
  if (!$("#reclaim-code").value && session.get(keys.code)) $("#reclaim-code").value = session.get(keys.code);
  fill($("#reclaim-error"), error);
  if (error) $("#reclaim-code").focus();
}

$("#reclaim-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const nickname = $("#reclaim-nickname").value.trim();
  const code = $("#reclaim-code").value.trim();
  if (!nickname || !code) return fill($("#reclaim-error"), t("bad_code"));
  fill($("#reclaim-error"));
  pendingReclaim = { nickname, code };
  if (!socket.send({ type: "reclaim", nickname, code })) socket.refresh();
});

$("#btn-ask-host").addEventListener("click", () => {
  const nickname = $("#reclaim-nickname").value.trim();
  if (!nickname) return fill($("#reclaim-error"), t("ask_nickname"));
  if (pendingAsk) return;
  fill($("#reclaim-error"));
  pendingAsk = { nickname };
  if (!socket.send({ type: "reclaim_ask", nickname })) socket.refresh();
});

/** The host said yes: the code came to this socket alone; it takes the place back like a typed one. */
function onAskApproved(frame) {
  pendingAsk = null;
  fill($("#reclaim-status"));
  pendingReclaim = { nickname: frame.nickname, code: frame.code };
  if (!socket.send({ type: "reclaim", ...pendingReclaim })) socket.refresh();
}

$("#btn-continue").addEventListener("click", () => {
  pendingNickname = null;
  session.set(keys.nickname, null);
  socket.refresh(); // resumes with the stored token
});

$("#nickname-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const nickname = $("#nickname").value.trim();
  if (nickname.length < 1 || nickname.length > 24) {
    $("#nickname-error").textContent = t("nickname_invalid");
    return;
  }
  pendingNickname = nickname;
  $("#nickname-error").textContent = "";
  if (me.joined) socket.refresh(); // this socket is the old player's: join on a fresh one
  else if (!socket.send({ type: "join", nickname })) socket.refresh();
});

function kicked(reason) {
  over = true;
  session.set(keys.token, null);
  countdown.stop();
  socket.stop();
  chat?.stop();
  message(t("kicked"), reason);
}

function message(text, detail = "") {
  countdown.stop();
  ready.stop();
  fill($("#message-text"), text);
  fill($("#message-detail"), detail || "");
  showView(app, "view-message");
}

// --- lobby -------------------------------------------------------------------------------------

function onLobby(frame) {
  players = frame.players;
  fill($("#lobby-count"), t("players", { n: frame.players }));
  fill(
    $("#lobby-names"),
    (frame.nicknames ?? []).map((name) => h("li", { class: name === me.nickname ? "is-me" : "" }, name)),
  );
}

function showLobby() {
  showView(app, "view-lobby");
}

// --- questions ---------------------------------------------------------------------------------

function onQuestion(frame, alreadyAnswered) {
  question = frame;
  answered = alreadyAnswered;
  reveal = null;
  session.set(keys.question, JSON.stringify(frame));
  session.set(keys.answered, alreadyAnswered ? String(frame.round) : null);
  fill($("#q-round"), t("round_of", { round: frame.round, total: frame.total_rounds }));
  fill($("#q-text"), frame.text);
  placeImage($("#q-text"), frame);
  placeHint($("#q-text"), frame);
  $("#answer-status").textContent = alreadyAnswered ? t("answer_sent") : "";
  const area = $("#answer-area");
  area.dataset.kind = frame.kind;
  fill(area, answerControls(frame, submit, (text) => ($("#answer-status").textContent = text)));
  setAnswerEnabled(!alreadyAnswered);
  showView(app, "view-question");
  countdown.stop();
  // "Get ready" first when the choices open later (opens_at): then the question, its choices and its time.
  ready.start(frame, () => {
    announce(`${t("round_of", { round: frame.round, total: frame.total_rounds })}: ${frame.text}`);
    countdown.start(frame.deadline, frame.time_limit_ms);
    // The heading, not the first choice: a focused choice looks chosen (after a reload, say).
    $("#q-text").focus({ preventScroll: true });
  });
}

/** Sends the answer once; false when it could not be sent (already answered, or offline). */
function submit(fields) {
  if (!question || answered) return false;
  if (!socket.send({ type: "answer", round: question.round, ...fields })) return false;
  answered = true;
  session.set(keys.answered, String(question.round));
  setAnswerEnabled(false);
  $("#answer-status").textContent = t("answer_sent");
  return true;
}

function setAnswerEnabled(enabled) {
  for (const control of $("#answer-area").querySelectorAll("button, input")) control.disabled = !enabled;
  $("#answer-area").classList.toggle("is-locked", !enabled);
}

function onAnswerAck(frame) {
  if (!question || frame.round !== question.round) return;
  if (frame.accepted || frame.reason === "duplicate") {
    $("#answer-status").textContent = t("answer_sent");
    return;
  }
  if (frame.reason === "invalid" || frame.reason === "early") {
    answered = false;
    session.set(keys.answered, null);
    setAnswerEnabled(true);
    $("#answer-status").textContent = t(frame.reason === "early" ? "answer_early" : "answer_refused");
    return;
  }
  $("#answer-status").textContent = t("answer_late");
}

// --- after a round -----------------------------------------------------------------------------

function onReveal(frame) {
  reveal = frame;
  players = frame.players ?? players;
  countdown.stop();
  feedback("waiting", t("waiting_result"), [correctAnswerText(frame)]);
}

function correctAnswerText(frame) {
  if (!question || frame.round !== question.round || question.kind === "poll") return "";
  const correct = frame.correct;
  let answer = "";
  if (Array.isArray(correct) && question.choices?.length) {
    answer = question.choices
      .filter((c) => correct.includes(c.id))
      .map((c) => choiceText(question.kind, c))
      .join(", ");
  } else if (Array.isArray(correct)) {
    answer = correct.join(", ");
  } else if (correct && typeof correct === "object") {
    answer = t("slider_answer", { value: correct.value, tolerance: correct.tolerance ?? 0 });
  }
  return answer ? t("correct_answer", { answer }) : "";
}

function onResult(frame) {
  setScore(frame.score, frame.rank, frame.streak);
  const rank = t("rank", { rank: frame.rank, players: players || "?" });
  if (frame.poll) {
    feedback("poll", t("thanks_vote"), [t("score", { score: frame.score }), rank]);
    return;
  }
  const details = [
    frame.correct ? t("points", { points: frame.points }) : "",
    frame.streak > 1 ? t("streak", { n: frame.streak }) : "",
    t("score", { score: frame.score }),
    rank,
    reveal && !frame.correct ? correctAnswerText(reveal) : "",
  ];
  if (frame.correct) feedback("correct", t("correct"), details);
  else feedback("wrong", answered ? t("wrong") : t("no_answer"), details);
}

function feedback(kind, headline, details) {
  countdown.stop();
  ready.stop();
  announce([headline, ...details].filter(Boolean).join(". "));
  const view = $("#view-feedback");
  view.dataset.result = kind;
  fill($("#fb-headline"), headline);
  fill(
    $("#fb-details"),
    details.filter(Boolean).map((line) => h("li", {}, line)),
  );
  placeExplanation($("#fb-details"), reveal && reveal.round === question?.round ? reveal.explanation : "");
  showView(app, "view-feedback");
}

function onLeaderboard(frame) {
  ready.stop();
  players = frame.players ?? players;
  fill($("#lb-list"), leaderboard(frame.top, me.nickname));
  fill($("#lb-me"), t("score", { score: me.score }), me.rank ? ` · #${me.rank}` : "");
  showView(app, "view-leaderboard");
}

function onFinished(frame) {
  ready.stop();
  over = true;
  players = frame.players ?? players;
  podiumShown = frame.podium;
  fill($("#final-podium"), podium(frame.podium ?? []));
  showView(app, "view-final");
}

function onFinal(frame) {
  over = true;
  setScore(frame.score, frame.rank, me.streak);
  showFinal(t("final", { rank: frame.rank, players: frame.players, score: frame.score }));
}

function showFinal(text) {
  over = true;
  announce(text);
  countdown.stop();
  fill($("#final-text"), text);
  if (!podiumShown) $("#final-podium").replaceChildren();
  showView(app, "view-final");
}

/** Says it once through the page's polite live region (views appear and hide too fast to be read). */
function announce(text) {
  $("#announcer").textContent = text;
}

function setScore(score, rank, streak) {
  me.score = score ?? me.score;
  me.rank = rank ?? me.rank;
  me.streak = streak ?? me.streak;
  $("#me-score").textContent = String(me.score);
  $("#me-score").dataset.score = String(me.score);
}

// --- start ---------------------------------------------------------------------------------------

if (cfg.unknown) {
  message(t("unknown_pin", { pin }));
} else {
  if (pendingNickname) $("#nickname").value = pendingNickname;
  else if (me.nickname) $("#nickname").value = me.nickname;
  showCode();
  showView(app, "view-connecting");
  socket.start();
}
