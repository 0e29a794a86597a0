// Citizen preferences kept in localStorage: 长辈模式 (elders' mode).

const ELDER_KEY = 'hotline.elder_mode';

function read(key) {
  try { return localStorage.getItem(key); } catch (e) { return null; }
}

function write(key, value) {
  try {
    if (value == null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch (e) { /* storage unavailable: the choice lasts for this page only */ }
}

export function elderMode() {
  return read(ELDER_KEY) === '1';
}

// Apply elders' mode to the page (large font, high contrast, bigger targets) and remember it.
export function setElderMode(on, toggleButton) {
  write(ELDER_KEY, on ? '1' : null);
  document.documentElement.classList.toggle('elder', !!on);
  if (toggleButton) {
    toggleButton.setAttribute('aria-pressed', on ? 'true' : 'false');
    toggleButton.title = on ? '关闭长辈模式（恢复标准字号）' : '长辈模式：大字号、高对比度、慢速朗读';
  }
}

// Speech rate for reading replies aloud: slower in elders' mode.
export function speechRate() {
  return elderMode() ? 0.7 : 1.0;
}
