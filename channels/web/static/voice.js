// Voice messages: the microphone recorder (MediaRecorder webm/opus, or 16 kHz WAV through WebAudio
// where MediaRecorder cannot make webm) and the hold-to-talk control (mouse, touch, Space key).

export const MAX_VOICE_MS = 60000;
const MIN_VOICE_MS = 600;
const WAV_RATE = 16000;

export function voiceSupported() {
  return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.isSecureContext !== false);
}

function webmMime() {
  if (typeof MediaRecorder === 'undefined' || !MediaRecorder.isTypeSupported) return null;
  for (const type of ['audio/webm;codecs=opus', 'audio/webm']) {
    if (MediaRecorder.isTypeSupported(type)) return type;
  }
  return null;
}

// Linear resampling to 16 kHz (only used when the AudioContext could not run at 16 kHz itself).
function resample(samples, fromRate) {
  if (fromRate === WAV_RATE) return samples;
  const ratio = fromRate / WAV_RATE;
  const out = new Float32Array(Math.floor(samples.length / ratio));
  for (let i = 0; i < out.length; i++) {
    const pos = i * ratio;
    const j = Math.floor(pos);
    const next = j + 1 < samples.length ? samples[j + 1] : samples[j];
    out[i] = samples[j] + (next - samples[j]) * (pos - j);
  }
  return out;
}

// Mono 16-bit PCM WAV.
export function encodeWav(samples, rate) {
  const buf = new ArrayBuffer(44 + samples.length * 2);
  const v = new DataView(buf);
  const text = (off, s) => { for (let i = 0; i < s.length; i++) v.setUint8(off + i, s.charCodeAt(i)); };
  text(0, 'RIFF'); v.setUint32(4, 36 + samples.length * 2, true); text(8, 'WAVE');
  text(12, 'fmt '); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
  v.setUint32(24, rate, true); v.setUint32(28, rate * 2, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true);
  text(36, 'data'); v.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    v.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return new Blob([buf], { type: 'audio/wav' });
}

export function blobToBase64(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(',', 2)[1] || '');
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

class Recorder {
  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true },
    });
    const mime = webmMime();
    if (mime) this.startWebm(mime);
    else this.startWav();
    this.startedAt = performance.now();
  }

  startWebm(mime) {
    this.format = 'webm';
    this.chunks = [];
    this.media = new MediaRecorder(this.stream, { mimeType: mime, audioBitsPerSecond: 32000 });
    this.media.ondataavailable = (e) => { if (e.data && e.data.size) this.chunks.push(e.data); };
    this.media.start();
  }

  startWav() {
    this.format = 'wav';
    this.chunks = [];
    let ctx;
    try { ctx = new AudioContext({ sampleRate: WAV_RATE }); } catch (e) { ctx = new AudioContext(); }
    this.ctx = ctx;
    this.source = ctx.createMediaStreamSource(this.stream);
    // ScriptProcessorNode: deprecated but available everywhere MediaRecorder/webm is not.
    this.proc = ctx.createScriptProcessor(4096, 1, 1);
    this.proc.onaudioprocess = (e) => this.chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
    this.source.connect(this.proc);
    this.proc.connect(ctx.destination);
  }

  release() {
    if (this.stream) for (const t of this.stream.getTracks()) t.stop();
    this.stream = null;
  }

  // Resolves to {blob, format, durationMs}.
  async stop() {
    const durationMs = Math.round(performance.now() - this.startedAt);
    let blob;
    if (this.format === 'webm') {
      const media = this.media;
      const stopped = new Promise((resolve) => { media.onstop = resolve; });
      media.stop();
      await stopped;
      blob = new Blob(this.chunks, { type: 'audio/webm' });
    } else {
      this.source.disconnect();
      this.proc.disconnect();
      const rate = this.ctx.sampleRate;
      await this.ctx.close();
      const total = this.chunks.reduce((n, c) => n + c.length, 0);
      const all = new Float32Array(total);
      let off = 0;
      for (const c of this.chunks) { all.set(c, off); off += c.length; }
      blob = encodeWav(resample(all, rate), WAV_RATE);
    }
    this.release();
    return { blob, format: this.format, durationMs };
  }

  cancel() {
    try {
      if (this.media && this.media.state !== 'inactive') this.media.stop();
      if (this.ctx && this.ctx.state !== 'closed') this.ctx.close();
    } catch (e) { /* already stopped */ }
    this.release();
  }
}

// Press and hold `button` (mouse, touch or the Space key) to record; release to send; slide up
// (or press Esc) to cancel. `overlay` shows the recording state.
export class HoldToTalk {
  constructor(button, overlay, { onRecorded, onError }) {
    this.button = button;
    this.overlay = overlay;
    this.label = overlay.querySelector('.rec-label');
    this.clock = overlay.querySelector('.rec-time');
    this.onRecorded = onRecorded;
    this.onError = onError;
    this.state = 'idle'; // idle | starting | recording
    this.releasedEarly = false;
    this.cancelZone = false;
    this.bind();
  }

  bind() {
    const b = this.button;
    b.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      try { b.setPointerCapture(e.pointerId); } catch (err) { /* synthetic pointer */ }
      this.press('pointer');
    });
    b.addEventListener('pointermove', (e) => {
      if (this.state === 'idle' || this.via !== 'pointer') return;
      this.setCancelZone(e.clientY < b.getBoundingClientRect().top - 40);
    });
    b.addEventListener('pointerup', () => { if (this.via === 'pointer') this.release(!this.cancelZone); });
    b.addEventListener('pointercancel', () => { if (this.via === 'pointer') this.release(false); });
    b.addEventListener('contextmenu', (e) => e.preventDefault());
    b.addEventListener('keydown', (e) => {
      if (e.key === ' ' || e.code === 'Space') {
        e.preventDefault();
        if (!e.repeat) this.press('key');
      } else if (e.key === 'Escape' && this.state !== 'idle') {
        e.preventDefault();
        this.release(false);
      }
    });
    b.addEventListener('keyup', (e) => {
      if ((e.key === ' ' || e.code === 'Space') && this.via === 'key') { e.preventDefault(); this.release(true); }
    });
    b.addEventListener('click', (e) => e.preventDefault()); // Space/Enter must not "click" it
    b.addEventListener('blur', () => { if (this.state !== 'idle') this.release(false); });
  }

  setCancelZone(on) {
    this.cancelZone = on;
    this.overlay.classList.toggle('rec-cancel', on);
    this.label.textContent = on ? '松开手指，取消发送' : (this.via === 'key' ? '松开空格键发送，按 Esc 取消' : '松开发送，上滑取消');
  }

  async press(via) {
    if (this.state !== 'idle') return;
    this.via = via;
    this.state = 'starting';
    this.releasedEarly = false;
    this.button.classList.add('talking');
    this.button.setAttribute('aria-pressed', 'true');
    this.overlay.hidden = false;
    this.clock.textContent = '0″';
    this.label.textContent = '正在打开麦克风…';
    this.recorder = new Recorder();
    try {
      await this.recorder.start();
    } catch (err) {
      this.reset();
      this.onError('无法使用麦克风，请检查浏览器的麦克风权限，或改用文字输入。', err);
      return;
    }
    if (this.releasedEarly) { this.recorder.cancel(); this.reset(); return; }
    this.state = 'recording';
    this.setCancelZone(false);
    this.ticker = setInterval(() => {
      const ms = performance.now() - this.recorder.startedAt;
      this.clock.textContent = Math.floor(ms / 1000) + '″';
      if (ms >= MAX_VOICE_MS) this.release(true);
    }, 200);
  }

  async release(send) {
    if (this.state === 'starting') { this.releasedEarly = true; return; }
    if (this.state !== 'recording') return;
    const recorder = this.recorder;
    this.reset();
    if (!send) { recorder.cancel(); return; }
    let result;
    try {
      result = await recorder.stop();
    } catch (err) {
      recorder.cancel();
      this.onError('录音失败，请重试或改用文字输入。', err);
      return;
    }
    if (result.durationMs < MIN_VOICE_MS) { this.onError('说话时间太短，请按住按钮说完再松开。'); return; }
    this.onRecorded({ ...result, durationMs: Math.min(result.durationMs, MAX_VOICE_MS) });
  }

  reset() {
    clearInterval(this.ticker);
    this.state = 'idle';
    this.cancelZone = false;
    this.button.classList.remove('talking');
    this.button.setAttribute('aria-pressed', 'false');
    this.overlay.hidden = true;
    this.overlay.classList.remove('rec-cancel');
  }
}
