// The agent console's tabs (会话 / 派单调度 / 回访回电): ARIA tabs, arrow keys move between them.

import { $ } from './dom.js';

const listeners = [];

function visibleTabs() {
  return [...$('tabs').querySelectorAll('[role="tab"]')].filter((t) => !t.hidden);
}

export function selectTab(tab, focus) {
  for (const t of $('tabs').querySelectorAll('[role="tab"]')) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !on;
  }
  if (focus) tab.focus();
  for (const fn of listeners) fn(tab.id);
}

// Call with the role on login: the dispatcher tab is the supervisors' only.
export function showTabs(role) {
  $('tab-dispatch').hidden = role !== 'supervisor';
  $('tab-team').hidden = role !== 'supervisor';
  selectTab($('tab-desk'), false);
}

export function onTab(fn) { listeners.push(fn); }

export function setupTabs() {
  for (const tab of $('tabs').querySelectorAll('[role="tab"]')) tab.addEventListener('click', () => selectTab(tab, false));
  $('tabs').addEventListener('keydown', (ev) => {
    const tabs = visibleTabs();
    const at = tabs.indexOf(document.activeElement);
    if (at < 0) return;
    let next = null;
    if (ev.key === 'ArrowRight') next = tabs[(at + 1) % tabs.length];
    else if (ev.key === 'ArrowLeft') next = tabs[(at - 1 + tabs.length) % tabs.length];
    else if (ev.key === 'Home') next = tabs[0];
    else if (ev.key === 'End') next = tabs[tabs.length - 1];
    if (next) { ev.preventDefault(); selectTab(next, true); }
  });
}
