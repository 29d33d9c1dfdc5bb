// How one message looks: a bubble with the sender, the text, the time, and on our side the ticks
// (sending, sent, delivered, read, failed with a retry button). Used by the inbox and the widget.
import { clockTime, h } from './dom.js';

const tickText = { sending: '…', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' };
const tickLabel = { sending: 'Sending', sent: 'Sent', delivered: 'Delivered', read: 'Read', failed: 'Not sent' };

export const intentLabel = (intent) => (intent ? intent.replace(/_/g, ' ') : 'general');

function aiBadge(ai) {
  if (!ai) return null;
  const pct = typeof ai.confidence === 'number' ? `${Math.round(ai.confidence * 100)}%` : '?';
  return h('span', {
    class: 'ai-badge',
    title: `AI reply: confidence ${pct}, intent ${intentLabel(ai.intent)}` +
      (ai.processingTimeMs != null ? `, ${ai.processingTimeMs} ms` : ''),
  }, `AI · ${pct} · ${intentLabel(ai.intent)}`);
}

export function senderLabel(m) {
  if (m.senderType === 'ai') return 'Assistant';
  if (m.senderType === 'system') return 'System';
  return m.senderName ?? m.senderId ?? '';
}

// The element of message `m` (a stored message, or a pending one with clientId and no seq).
// `ours`: shown on our side, with ticks. `tick`: its current tick state.
export function messageElement(m, { ours, tick, onRetry }) {
  const kind = m.senderType === 'system' ? 'system' : ours ? 'ours' : 'theirs';
  const el = h('li', {
    class: `msg ${kind}${m.senderType === 'ai' ? ' ai' : ''}`,
    dataset: { senderType: m.senderType ?? 'me', sender: `${m.senderType ?? 'me'}:${m.senderId ?? ''}`, ...(m.seq ? { seq: m.seq } : {}), ...(m.clientId ? { clientId: m.clientId } : {}) },
  },
  h('div', { class: 'bubble' },
    h('div', { class: 'meta' }, h('span', { class: 'who' }, senderLabel(m)), aiBadge(m.ai)),
    h('p', { class: 'text' }, m.content),
    h('div', { class: 'foot' },
      h('time', { datetime: m.createdAt ?? '' }, clockTime(m.createdAt ?? new Date().toISOString())),
      ours ? h('span', { class: 'tick' }) : null)));
  if (ours) setTick(el, tick, onRetry);
  return el;
}

export function setTick(el, tick, onRetry) {
  const span = el.querySelector('.tick');
  if (!span || span.dataset.tick === tick) return;
  span.dataset.tick = tick;
  span.textContent = tickText[tick];
  span.setAttribute('aria-label', tickLabel[tick]);
  span.title = tickLabel[tick];
  el.classList.toggle('failed', tick === 'failed');
  el.querySelector('.retry')?.remove();
  if (tick === 'failed' && onRetry) {
    el.append(h('button', { class: 'retry', type: 'button', onclick: onRetry }, 'Not sent · Retry'));
  }
}

// A message right after another from the same sender drops the repeated name.
export function regroup(el) {
  for (const node of [el, el?.nextElementSibling]) {
    if (!node) continue;
    const prev = node.previousElementSibling;
    node.classList.toggle('cont', !!prev && prev.dataset.sender === node.dataset.sender && node.dataset.seq !== undefined);
  }
}
