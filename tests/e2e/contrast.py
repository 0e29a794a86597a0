"""WCAG 2.1 contrast of what a page renders: every visible element with its own text (and every
form control) against the background it is actually painted on (ancestors' backgrounds
composited), computed in the browser from getComputedStyle."""

CONTRAST_JS = r"""
(root) => {
  const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, bottom) => { const a = top[3]; return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]); };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const background = (el) => { const layers = [];
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) { const b = parse(getComputedStyle(n).backgroundColor);
      if (b[3] > 0) { layers.push(b); if (b[3] >= 1) break; } }
    let bg = [255, 255, 255, 1]; for (const l of layers.reverse()) bg = over(l, bg); return bg; };
  const out = [];
  for (const el of (root || document.body).querySelectorAll('*')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const control = ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(el.tagName) && (el.value || el.textContent.trim());
    if (!own && !control) continue;
    if (el.closest('[hidden]') || !el.getClientRects().length) continue;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.display === 'none' || parseFloat(st.opacity) === 0) continue;
    const bg = background(el);
    const fg = over(parse(st.color), bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    out.push({ tag: el.tagName, id: el.id, cls: String(el.className), text: (el.textContent || el.value || '').trim().slice(0, 30),
               ratio: Math.round(((a + 0.05) / (b + 0.05)) * 100) / 100, size: st.fontSize });
  }
  return out;
}
"""


def contrast_failures(page, minimum: float = 4.5, root: str | None = None) -> list[dict]:
    handle = page.query_selector(root) if root else None
    found = page.evaluate(CONTRAST_JS, handle)
    assert found, "no text measured"
    return [f for f in found if f["ratio"] < minimum]
