// The one WebSocket client of the host and player pages: connect, jittered exponential backoff,
// identify again on every (re)connect (resume), obey `reconnect` frames and close codes, and keep an
// estimate of the server clock from ping/pong.

export const CLOSE = Object.freeze({
  UNAUTHENTICATED: 4001,
  FORBIDDEN: 4003, // also: kicked
  UNKNOWN_PIN: 4004,
  RESTARTING: 4012,
});

// Close codes after which reconnecting cannot help.
const TERMINAL = new Set([CLOSE.UNAUTHENTICATED, CLOSE.FORBIDDEN, CLOSE.UNKNOWN_PIN]);

export const BACKOFF = Object.freeze({ baseMs: 500, maxMs: 10000, jitter: 0.3 });

/** Delay before reconnect attempt `attempt` (0-based): 0.5 s doubling to 10 s, ±30% jitter. */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** attempt);
  return Math.round(base * (1 + (random() * 2 - 1) * BACKOFF.jitter));
}

/** Server clock estimate: offset = server_time - (t0 + t1) / 2, from the fastest recent round trip. */
export class Clock {
  constructor() {
    this.samples = [];
    this.offset = 0;
    this.synced = false;
  }

  sample(t0, t1, serverTime) {
    if (!Number.isFinite(t0) || !Number.isFinite(serverTime) || t1 < t0) return;
    this.samples.push({ rtt: t1 - t0, offset: serverTime - (t0 + t1) / 2 });
    if (this.samples.length > 8) this.samples.shift();
    const best = this.samples.reduce((a, b) => (b.rtt < a.rtt ? b : a));
    this.offset = Math.round(best.offset);
    this.synced = true;
  }

  now() {
    return Date.now() + this.offset;
  }
}

const PING_BURST = [0, 400, 1200]; // a few samples soon after each connect, then one every pingEveryMs
const PONG_TIMEOUT_MS = 10000;

export class GameSocket {
  /**
   * @param {object} o
   * @param {string|function(): (string|Promise<string>)} o.url  where to connect (asked again per attempt)
   * @param {function(): (object|null)} [o.hello]  first frame on every open (join/resume/hello), or null
   * @param {function(object): void} o.onFrame  every frame from the server
   * @param {function(string, object): void} [o.onState]  "connecting" | "open" | "reconnecting" | "closed"
   * @param {function(object): boolean} [o.isReady]  a frame that proves the session works (resets backoff)
   */
  constructor({ url, hello = () => null, onFrame, onState = () => {}, isReady = () => true, pingEveryMs = 10000 }) {
    Object.assign(this, { url, hello, onFrame, onState, isReady, pingEveryMs });
    this.clock = new Clock();
    this.ws = null;
    this.attempt = 0;
    this.retryAfterMs = null;
    this.stopped = false;
    this.timers = new Set();
    this.waitTimer = null;
    this.state = "idle";
    this.pending = new Map(); // ping client_time -> sent
    this.everOpened = false;
    this.refreshing = false;
    this.onWake = () => {
      if (this.state === "reconnecting" && this.waitTimer) this.connectSoon(0);
    };
    window.addEventListener("online", this.onWake);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.onWake();
    });
  }

  start() {
    this.stopped = false;
    this.connect();
    return this;
  }

  /** Stops for good: no reconnect. */
  stop(detail = {}) {
    this.stopped = true;
    this.clearTimers();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      try {
        ws.close(1000);
      } catch {
        /* already closed */
      }
    }
    this.setState("closed", detail);
  }

  /** Drops the current connection and connects again at once (e.g. to get a fresh snapshot). */
  refresh() {
    this.refreshing = true; // a planned reconnect: no "reconnecting" banner
    this.dropConnection();
    this.connectSoon(0);
  }

  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  get isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  // --- internals -------------------------------------------------------------------------------

  setState(state, detail = {}) {
    if (this.state === state && state !== "closed") return;
    this.state = state;
    this.onState(state, detail);
  }

  later(fn, ms) {
    const id = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, ms);
    this.timers.add(id);
    return id;
  }

  clearTimers() {
    for (const id of this.timers) clearTimeout(id);
    this.timers.clear();
    clearInterval(this.pingInterval);
    this.waitTimer = null;
  }

  async connect() {
    if (this.stopped) return;
    this.setState(this.everOpened && !this.refreshing ? "reconnecting" : "connecting");
    let url;
    try {
      url = typeof this.url === "function" ? await this.url() : this.url;
    } catch (err) {
      if (err && err.terminal) return this.stop({ code: err.code, reason: err.message });
      return this.scheduleReconnect();
    }
    if (this.stopped) return;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      return this.scheduleReconnect();
    }
    this.ws = ws;
    ws.onopen = () => ws === this.ws && this.opened();
    ws.onmessage = (ev) => ws === this.ws && this.received(ev.data);
    ws.onclose = (ev) => ws === this.ws && this.closed(ev.code, ev.reason);
    ws.onerror = () => {}; // a close event always follows
  }

  opened() {
    this.everOpened = true;
    this.refreshing = false;
    this.retryAfterMs = null;
    this.pending.clear();
    const hello = this.hello();
    if (hello) this.send(hello);
    this.setState("open");
    for (const delay of PING_BURST) this.later(() => this.ping(), delay);
    clearInterval(this.pingInterval);
    this.pingInterval = setInterval(() => this.ping(), this.pingEveryMs);
  }

  ping() {
    if (!this.isOpen) return;
    const t0 = Date.now();
    this.pending.set(t0, true);
    this.send({ type: "ping", client_time: t0 });
    this.later(() => {
      // No pong for a long time: the connection is dead even if the browser has not noticed.
      if (this.pending.has(t0) && this.isOpen) {
        this.dropConnection();
        this.scheduleReconnect();
      }
    }, PONG_TIMEOUT_MS);
  }

  received(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.type === "pong") {
      this.pending.delete(frame.client_time);
      this.clock.sample(frame.client_time, Date.now(), frame.server_time);
    } else if (frame.type === "reconnect") {
      this.retryAfterMs = Number(frame.retry_after_ms) || 0;
    }
    if (this.isReady(frame)) this.attempt = 0;
    this.onFrame(frame);
  }

  closed(code, reason) {
    this.ws = null;
    clearInterval(this.pingInterval);
    if (this.stopped) return;
    if (TERMINAL.has(code)) return this.stop({ code, reason });
    this.scheduleReconnect();
  }

  dropConnection() {
    const ws = this.ws;
    this.ws = null;
    clearInterval(this.pingInterval);
    if (ws) {
      try {
        ws.close(1000);
      } catch {
        /* already closed */
      }
    }
  }

  scheduleReconnect() {
    if (this.stopped) return;
    this.refreshing = false;
    let delay;
    if (this.retryAfterMs !== null) {
      // The server said when: wait that long, spread a little so a whole room does not come back at once.
      delay = Math.round(this.retryAfterMs * (1 + Math.random() * BACKOFF.jitter));
      this.retryAfterMs = null;
    } else {
      delay = backoffDelay(this.attempt);
      this.attempt += 1;
    }
    this.setState("reconnecting", { delay });
    this.connectSoon(delay);
  }

  connectSoon(delay) {
    if (this.waitTimer) {
      clearTimeout(this.waitTimer);
      this.timers.delete(this.waitTimer);
    }
    this.waitTimer = this.later(() => {
      this.waitTimer = null;
      this.connect();
    }, delay);
  }
}

/** ws:// or wss:// URL on this page's host. */
export function wsUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}
