// Small DOM helpers shared by the pages: an element builder and time labels.

// h('div', {class: 'row', onclick: f, 'aria-label': 'x'}, child, 'text', ...): children may be
// nodes, strings (as text, never HTML), arrays, or null/false (skipped).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Markup we write ourselves (icons), parsed once into a node.
export function fromMarkup(markup) {
  const t = document.createElement('template');
  t.innerHTML = markup.trim();
  return t.content.firstChild;
}

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const day = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'short' });

// "14:05" today, "Mon" within the week, "Nov 3" before.
export function shortTime(iso) {
  if (!iso) return '';
  const t = new Date(iso);
  const age = Date.now() - t.getTime();
  if (new Date().toDateString() === t.toDateString()) return clock.format(t);
  if (age < 6 * 86_400_000) return weekday.format(t);
  return day.format(t);
}

export const clockTime = (iso) => (iso ? clock.format(new Date(iso)) : '');

// crypto.randomUUID needs a secure context; a page opened over plain http on a LAN address is not.
export function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((n) => n.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
