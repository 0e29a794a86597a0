/*
 * Embeddable 12345 hotline chat widget. One tag on any site:
 *
 *   <script src="https://hotline.example/static/widget.js" data-hotline="https://hotline.example" async></script>
 *
 * Adds a floating button (in a shadow root, so the host page's CSS cannot reach it) that opens
 * the hotline's chat page in an iframe. Attributes: data-hotline (the gateway's base URL; default:
 * where this script came from), data-label (button text, default "12345"), data-position
 * ("right" or "left"). window.hotlineWidget.open() / .close() are available to the host page.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.hotlineWidget) return;

  var base = (script.getAttribute('data-hotline') || new URL(script.src, location.href).origin).replace(/\/+$/, '');
  var origin = new URL(base, location.href).origin;
  var label = script.getAttribute('data-label') || '12345';
  var side = script.getAttribute('data-position') === 'left' ? 'left' : 'right';

  var CSS = [
    ':host { all: initial; }',
    '.launcher { position: fixed; bottom: 20px; ' + side + ': 20px; z-index: 2147483000; display: flex;',
    '  align-items: center; gap: 6px; height: 56px; padding: 0 18px 0 14px; border: none; border-radius: 28px;',
    '  background: #07c160; color: #fff; font: 600 16px/1 "PingFang SC", "Noto Sans CJK SC", sans-serif;',
    '  box-shadow: 0 4px 14px rgba(0,0,0,.25); cursor: pointer; }',
    '.launcher:hover { background: #06ad56; }',
    '.launcher:focus-visible, .close:focus-visible { outline: 3px solid #1d6fd8; outline-offset: 3px; }',
    '.launcher svg { width: 26px; height: 26px; fill: currentColor; }',
    '.panel { position: fixed; bottom: 88px; ' + side + ': 20px; z-index: 2147483001; width: 380px;',
    '  height: min(660px, calc(100vh - 110px)); border-radius: 10px; overflow: hidden; background: #ededed;',
    '  box-shadow: 0 8px 30px rgba(0,0,0,.3); }',
    '.panel[hidden] { display: none; }',
    'iframe { display: block; width: 100%; height: 100%; border: 0; }',
    '@media (max-width: 480px) {',
    '  .panel { inset: 0; width: 100%; height: 100%; border-radius: 0; }',
    '  .open .launcher { display: none; }',
    '}',
  ].join('\n');

  var host = document.createElement('div');
  host.id = 'hotline-widget';
  var root = host.attachShadow({ mode: 'open' });
  var wrap = document.createElement('div');
  var style = document.createElement('style');
  style.textContent = CSS;

  var button = document.createElement('button');
  button.type = 'button';
  button.className = 'launcher';
  button.setAttribute('aria-label', '打开 12345 市民服务热线在线咨询');
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', 'hotline-panel');
  var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  var path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', 'M12 3C6.5 3 2 6.6 2 11c0 2.4 1.3 4.6 3.4 6.1L4.6 21l4.1-2.3c1 .3 2.1.4 3.3.4 5.5 0 10-3.6 10-8.1S17.5 3 12 3zM7.5 12.3a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6zm4.5 0a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6zm4.5 0a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6z');
  svg.appendChild(path);
  var text = document.createElement('span');
  text.textContent = label;
  button.appendChild(svg);
  button.appendChild(text);

  var panel = document.createElement('div');
  panel.className = 'panel';
  panel.id = 'hotline-panel';
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', '12345 市民服务热线');
  panel.hidden = true;

  var frame = null;
  var frameLoaded = false; // before its load the iframe still holds about:blank: nothing is posted

  function tellFrame(type) {
    if (frame && frameLoaded && frame.contentWindow) frame.contentWindow.postMessage({ type: type }, origin);
  }

  function open() {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.title = '12345 市民服务热线 在线咨询';
      frame.allow = 'microphone; autoplay';
      frame.src = base + '/?embed=1';
      frame.addEventListener('load', function () {
        frameLoaded = true;
        if (!panel.hidden) tellFrame('hotline:open');
      });
      panel.appendChild(frame);
    }
    panel.hidden = false;
    wrap.classList.add('open');
    button.setAttribute('aria-expanded', 'true');
    button.setAttribute('aria-label', '收起 12345 在线咨询');
    frame.focus();
    tellFrame('hotline:open');
  }

  function close() {
    if (panel.hidden) return;
    panel.hidden = true;
    wrap.classList.remove('open');
    button.setAttribute('aria-expanded', 'false');
    button.setAttribute('aria-label', '打开 12345 市民服务热线在线咨询');
    button.focus();
  }

  button.addEventListener('click', function () { if (panel.hidden) open(); else close(); });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') close(); });
  window.addEventListener('message', function (e) {
    if (e.origin !== origin || !frame || e.source !== frame.contentWindow) return;
    if (e.data && e.data.type === 'hotline:close') close();
  });

  wrap.appendChild(button);
  wrap.appendChild(panel);
  root.appendChild(style);
  root.appendChild(wrap);

  function mount() { document.body.appendChild(host); }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);

  window.hotlineWidget = { open: open, close: close, origin: origin };
})();
