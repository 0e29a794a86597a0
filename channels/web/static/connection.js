// The /ws/chat connection: resumes the stored conversation (?conversation_id=&resume_token=),
// reconnects with backoff after a drop, and keeps every citizen frame (with a message id) until
// the server acknowledges it: frames typed while offline, or sent but not acknowledged before a
// drop, are sent again in order on the next session (the server stores a resent id once).

const STORAGE_KEY = 'hotline.conversation_id';
const TOKEN_KEY = 'hotline.resume_token';
const BACKOFF_MIN = 500;
const BACKOFF_MAX = 5000;

function load(key) {
  try { return localStorage.getItem(key) || null; } catch (e) { return null; }
}

function store(key, value) {
  try {
    if (value) localStorage.setItem(key, value);
    else localStorage.removeItem(key);
  } catch (e) { /* storage unavailable: keep it in memory only */ }
}

function newMessageId() {
  const rnd = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Math.random()).slice(2);
  return 'c-' + rnd;
}

export class ChatConnection {
  // onFrame(frame): every parsed server frame; onState(open, label): connection state changes;
  // onConnecting(): a new socket is being opened (frames sent on the old one are settled).
  constructor({ onFrame, onState, onConnecting }) {
    this.onFrame = onFrame;
    this.onState = onState;
    this.onConnecting = onConnecting;
    this.ws = null;            // current WebSocket (null while waiting to reconnect)
    this.ready = false;        // true once the session frame arrived on the current socket
    this.backoff = BACKOFF_MIN;
    this.timer = null;
    // The conversation to resume: kept (and stored) once the server has stored a message of it;
    // a session with nothing stored yet is not worth resuming.
    this.conversationId = load(STORAGE_KEY);
    this.resumeToken = load(TOKEN_KEY);
    this.offered = null;       // {id, token} of the current session until its first ack
    // [{frame, handlers, sent}] not acknowledged yet, oldest first; frame.id is the message id.
    this.queue = [];
  }

  saveSession(id, token) {
    this.conversationId = id || null;
    this.resumeToken = token || null;
    store(STORAGE_KEY, this.conversationId);
    store(TOKEN_KEY, this.resumeToken);
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    // greet=1: a new conversation starts with the greeting and its topic chips (a resumed one does not).
    let url = proto + '//' + location.host + '/ws/chat?greet=1';
    if (this.conversationId && this.resumeToken) {
      url += '&conversation_id=' + encodeURIComponent(this.conversationId) +
        '&resume_token=' + encodeURIComponent(this.resumeToken);
    }
    return url;
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    this.ready = false;
    this.onConnecting();
    let sock;
    try {
      sock = new WebSocket(this.url());
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    this.ws = sock;
    // Every handler ignores events from sockets that are no longer current.
    sock.onopen = () => { if (sock === this.ws) this.onState(true); };
    sock.onmessage = (ev) => { if (sock === this.ws) this.receive(ev.data); };
    sock.onerror = () => { /* onclose follows and handles reconnecting */ };
    sock.onclose = () => {
      if (sock !== this.ws) return;
      this.ws = null;
      this.ready = false;
      this.onState(false);
      this.scheduleReconnect();
    };
  }

  scheduleReconnect() {
    if (this.timer) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX);
    this.timer = setTimeout(() => { this.timer = null; this.connect(); }, delay);
  }

  // Reconnect at once (e.g. the browser says it is back online) instead of waiting for the backoff.
  reconnectNow() {
    if (this.ws || !this.timer) return;
    this.backoff = BACKOFF_MIN;
    this.connect();
  }

  receive(raw) {
    let frame;
    try { frame = JSON.parse(raw); } catch (e) { return; }
    if (!frame || typeof frame !== 'object') return;
    if (frame.type === 'session') {
      const id = frame.conversation_id ? String(frame.conversation_id) : null;
      const token = frame.resume_token ? String(frame.resume_token) : null;
      if (id === this.conversationId) this.offered = null;
      else this.offered = { id, token };
      for (const item of this.queue) item.sent = false; // not acknowledged: send again
      this.ready = true;
      this.backoff = BACKOFF_MIN; // a healthy session resets the backoff
      this.onFrame(frame);
      this.flush();
      return;
    }
    if ((frame.type === 'ack' || frame.type === 'error') && frame.id != null) this.settle(frame);
    if (frame.type === 'error' && frame.code === 'conversation_not_found') this.saveSession(null, null);
    this.onFrame(frame);
  }

  // The server stored (ack) or refused (error with the id) a message: it is not sent again.
  settle(frame) {
    const i = this.queue.findIndex((item) => item.frame.id === frame.id);
    if (i < 0) return;
    const [item] = this.queue.splice(i, 1);
    if (frame.type === 'ack') {
      if (this.offered) { this.saveSession(this.offered.id, this.offered.token); this.offered = null; }
      if (item.handlers.onAck) item.handlers.onAck();
    } else if (item.handlers.onRefused) {
      item.handlers.onRefused(frame);
    }
  }

  trySend(frame) {
    const ws = this.ws;
    if (!ws || !this.ready || ws.readyState !== WebSocket.OPEN) return false;
    try { ws.send(JSON.stringify(frame)); return true; } catch (e) { return false; }
  }

  // Send now when possible, else keep it (in order) for the next session; either way keep it
  // until acknowledged. handlers: onSent (each time it goes out), onAck, onRefused(errorFrame).
  // Returns true if sent now.
  submit(frame, handlers = {}) {
    const item = { frame: { ...frame, id: newMessageId() }, handlers, sent: false };
    this.queue.push(item);
    this.flush();
    return item.sent;
  }

  flush() {
    for (const item of this.queue) {
      if (item.sent) continue;
      if (!this.trySend(item.frame)) return;
      item.sent = true;
      if (item.handlers.onSent) item.handlers.onSent();
    }
  }

  // Forget the conversation and start a new one.
  restart() {
    this.saveSession(null, null);
    this.offered = null;
    this.queue.length = 0;
    this.backoff = BACKOFF_MIN;
    const old = this.ws;
    this.ws = null; // detach first so the old socket's onclose is ignored
    if (old) { try { old.close(1000, 'new conversation'); } catch (e) { /* ignore */ } }
    this.connect();
  }

  get socket() { return this.ws; }

  // The conversation of the current session (stored or not yet).
  get currentId() { return this.offered ? this.offered.id : this.conversationId; }
}
