// The dashboard: every few seconds reads /metrics (connections, messages, the AI's histogram and
// queue) and GET /api/v1/metrics/summary (the windowed inbox figures), updates the cards and
// the uPlot charts.
import { h } from '../shared/dom.js';
import { devLogin, devLoginAvailable, saveStaffToken, staffToken } from '../shared/token.js';
import { barChart, timeChart } from './charts.js';
import { histogram, histogramDelta, parsePrometheus, sum } from './prometheus.js';
import { fetchSummary } from './summary.js';

const REFRESH_MS = Number(new URLSearchParams(location.search).get('refreshMs')) || 3000;
const $ = (id) => document.getElementById(id);
const show = (name, text) => {
  for (const el of document.querySelectorAll(`[data-metric="${name}"]`)) el.textContent = text;
};
const seconds = (s) => (Number.isFinite(s) ? (s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`) : '—');
const percent = (x) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : '—');
const count = (n) => (Number.isFinite(n) ? n.toLocaleString() : '—');

// The first of these paths that the summary has (docs/rest.md, "The metrics summary").
function pick(obj, ...paths) {
  for (const p of paths) {
    const v = p.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

function values(list, prefix, counts) {
  list.replaceChildren(...Object.entries(counts).map(([k, v]) =>
    h('li', {}, `${k} `, h('output', { dataset: { metric: `${prefix}.${k}` } }, count(v)))));
}

function start(token) {
  $('app').hidden = false;
  const traffic = timeChart($('chart-traffic'), ['connections', 'messages/s']);
  const ai = timeChart($('chart-ai'), ['average', 'p95'], { unit: ' s', floor: 0.05 });
  const channels = barChart($('chart-channels'));
  const statuses = barChart($('chart-status'), { color: '#2b8a3e' });
  channels.set({});
  statuses.set({});
  let previous = null; // the last reading: {at, stored}
  // The AI response time shown and charted: the summary's window when the API is there, else
  // since the server started (the /metrics histogram).
  const state = { samples: 0, summary: null, aiAvg: null, aiP95: null };

  async function metrics() {
    const text = await (await fetch('/metrics', { cache: 'no-store' })).text();
    const samples = parsePrometheus(text);
    const at = Date.now() / 1000;
    const connections = sum(samples, 'ringcast_connections');
    const stored = sum(samples, 'ringcast_inbox_messages_stored_total');
    const aiHist = histogram(samples, 'ringcast_ai_response_seconds');
    const rate = previous ? Math.max(0, (stored - previous.stored) / (at - previous.at)) : 0;
    show('connections', count(connections));
    show('messagesStored', count(stored));
    show('messagesPerSecond', rate.toFixed(1));
    traffic.push(at, [connections, rate]);
    // Without the summary API, the figures since start that /metrics has.
    if (!state.summary) {
      const all = histogramDelta(aiHist, null);
      state.aiAvg = all?.mean ?? null;
      state.aiP95 = all?.p95 ?? null;
      const byAi = sum(samples, 'ringcast_ai_resolved_conversations', { by: 'ai' });
      const total = sum(samples, 'ringcast_ai_resolved_conversations', { by: 'anyone' });
      show('aiResolution', total > 0 ? percent(byAi / total) : '—');
      show('aiQueue', count(sum(samples, 'ringcast_ai_queue_depth')));
      show('aiProcessing', count(sum(samples, 'ringcast_ai_in_flight')));
      show('aiFailed', count(sum(samples, 'ringcast_ai_jobs_total', { outcome: 'failed' })));
    }
    previous = { at, stored };
  }

  async function summary() {
    const s = await fetchSummary(token, Number($('window').value));
    state.summary = s;
    $('notice').hidden = !!s;
    $('notice').textContent = s ? '' : 'The metrics API (GET /api/v1/metrics/summary) is not available on this server: ' +
      'the figures below come from /metrics only.';
    if (!s) return;
    const avgMs = pick(s, 'aiResponseTime.averageMs');
    const p95Ms = pick(s, 'aiResponseTime.p95Ms');
    state.aiAvg = Number.isFinite(avgMs) ? avgMs / 1000 : null;
    state.aiP95 = Number.isFinite(p95Ms) ? p95Ms / 1000 : null;
    show('aiResolution', percent(pick(s, 'aiResolution.rate', 'aiResolutionRate')));
    show('staffFirst', seconds(pick(s, 'staffFirstResponse.averageMs') / 1000));
    show('staffFirstP95', seconds(pick(s, 'staffFirstResponse.p95Ms') / 1000));
    show('requiresHuman', count(pick(s, 'requiresHuman')));
    show('aiQueue', count(pick(s, 'aiQueue.pending')));
    show('aiProcessing', count(pick(s, 'aiQueue.processing')));
    show('aiFailed', count(pick(s, 'aiQueue.failed')));
    const byChannel = pick(s, 'messagesByChannel') ?? {};
    const byStatus = pick(s, 'conversationsByStatus') ?? {};
    channels.set(byChannel);
    statuses.set(byStatus);
    // The bars' numbers as text too: for screen readers, and for reading them exactly.
    values($('values-channels'), 'channel', byChannel);
    values($('values-status'), 'status', byStatus);
  }

  async function refresh() {
    const results = await Promise.allSettled([metrics(), summary()]);
    const failed = results.find((r) => r.status === 'rejected');
    show('aiAvg', seconds(state.aiAvg ?? NaN));
    show('aiP95', seconds(state.aiP95 ?? NaN));
    ai.push(Date.now() / 1000, [state.aiAvg, state.aiP95]);
    const el = $('updated');
    el.dataset.state = failed ? 'reconnecting' : 'connected';
    el.textContent = failed ? `Update failed: ${failed.reason.message}` : `Updated ${new Date().toLocaleTimeString()}`;
    state.samples++;
    document.body.dataset.refreshes = String(state.samples);
  }
  $('window').addEventListener('change', refresh);
  refresh();
  setInterval(refresh, REFRESH_MS);
}

async function showSignIn() {
  $('signin').hidden = false;
  if (!(await devLoginAvailable())) return;
  const button = $('signin-dev');
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      saveStaffToken(await devLogin());
      location.reload();
    } catch (e) {
      $('signin-error').textContent = e.message;
    }
  });
}

const token = staffToken();
if (token) start(token);
else showSignIn();
