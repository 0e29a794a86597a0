// Reading replies aloud. The gateway's speech endpoint (GET /api/tts?text=&rate=) is used when it
// answers; otherwise the browser's own speech synthesis (zh-CN) is the fallback.

import { speechRate } from './prefs.js';

const MAX_CHARS = 500;

let serverTts = true;   // set to false for this page after the endpoint failed once
let current = null;     // {audio?, button, done()}

// rate: 'slow' in elders' mode (the gateway's configured elder rate), else 'normal'.
function ttsUrl(text, rate) {
  return '/api/tts?text=' + encodeURIComponent(text) + '&rate=' + (rate < 1 ? 'slow' : 'normal');
}

function browserVoice() {
  const voices = window.speechSynthesis ? window.speechSynthesis.getVoices() : [];
  return voices.find((v) => /^zh(-|_)?CN/i.test(v.lang)) || voices.find((v) => /^zh/i.test(v.lang)) || null;
}

export function stopSpeaking() {
  if (!current) return;
  const c = current;
  current = null;
  if (c.audio) { c.audio.pause(); c.audio.removeAttribute('src'); }
  if (window.speechSynthesis) window.speechSynthesis.cancel();
  c.done();
}

function speakInBrowser(text, rate, entry) {
  if (!window.speechSynthesis || typeof SpeechSynthesisUtterance === 'undefined') {
    entry.done();
    return false;
  }
  const u = new SpeechSynthesisUtterance(text);
  u.lang = 'zh-CN';
  u.rate = rate;
  const voice = browserVoice();
  if (voice) u.voice = voice;
  u.onend = u.onerror = () => { if (current === entry) { current = null; entry.done(); } };
  window.speechSynthesis.speak(u);
  return true;
}

// Read `text` aloud; `button` shows the playing state (aria-pressed). A second press stops it.
export function speak(text, button) {
  const wasThis = current && current.button === button;
  stopSpeaking();
  if (wasThis) return;
  const clean = String(text || '').trim().slice(0, MAX_CHARS);
  if (!clean) return;
  const rate = speechRate();
  button.classList.add('speaking');
  button.setAttribute('aria-pressed', 'true');
  const entry = {
    button,
    audio: null,
    done() { button.classList.remove('speaking'); button.setAttribute('aria-pressed', 'false'); },
  };
  current = entry;
  if (!serverTts) { speakInBrowser(clean, rate, entry); return; }
  const audio = new Audio(ttsUrl(clean, rate));
  entry.audio = audio;
  let fellBack = false;
  const fallback = () => {
    if (fellBack || current !== entry) return;
    fellBack = true;
    serverTts = false; // the endpoint is missing or failing: use the browser from now on
    entry.audio = null;
    speakInBrowser(clean, rate, entry);
  };
  audio.onended = () => { if (current === entry) { current = null; entry.done(); } };
  audio.onerror = fallback;
  audio.play().catch(fallback);
}

export function speechMode() {
  return serverTts ? 'server' : 'browser';
}
