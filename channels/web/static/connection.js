// The /ws/chat connection: resumes the stored conversation (?conversation_id=), reconnects with
// backoff after a drop, and keeps frames typed while offline in order until they can be sent.

const STORAGE_KEY = 'hotline.conversation_id';
const BACKOFF_MIN = 500;
const BACKOFF_MAX = 5000;

function loadId() {
  try { return localStorage.getItem(STORAGE_KEY) || null; } catch (e) { return null; }
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
    this.conversationId = loadId();
    this.queue = [];           // [{frame, onSent}] waiting for a ready socket, oldest first
  }

  saveId(id) {
    this.conversationId = id || null;
    try {
      if (id) localStorage.setItem(STORAGE_KEY, id);
      else localStorage.removeItem(STORAGE_KEY);
    } catch (e) { /* storage unavailable: keep the id in memory only */ }
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let url = proto + '//' + location.host + '/ws/chat';
    if (this.conversationId) url += '?conversation_id=' + encodeURIComponent(this.conversationId);
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
      if (frame.conversation_id) this.saveId(String(frame.conversation_id));
      this.ready = true;
      this.backoff = BACKOFF_MIN; // a healthy session resets the backoff
      this.onFrame(frame);
      this.flush();
      return;
    }
    this.onFrame(frame);
  }

  trySend(frame) {
    const ws = this.ws;
    if (!ws || !this.ready || ws.readyState !== WebSocket.OPEN) return false;
    try { ws.send(JSON.stringify(frame)); return true; } catch (e) { return false; }
  }

  // Send now when possible, else keep it (in order) for the next session. Returns true if sent.
  submit(frame, onSent) {
    if (!this.queue.length && this.trySend(frame)) {
      if (onSent) onSent();
      return true;
    }
    this.queue.push({ frame, onSent });
    return false;
  }

  flush() {
    while (this.queue.length) {
      const item = this.queue[0];
      if (!this.trySend(item.frame)) return;
      this.queue.shift();
      if (item.onSent) item.onSent();
    }
  }

  // Forget the conversation and start a new one.
  restart() {
    this.saveId(null);
    this.queue.length = 0;
    this.backoff = BACKOFF_MIN;
    const old = this.ws;
    this.ws = null; // detach first so the old socket's onclose is ignored
    if (old) { try { old.close(1000, 'new conversation'); } catch (e) { /* ignore */ } }
    this.connect();
  }

  get socket() { return this.ws; }
}
