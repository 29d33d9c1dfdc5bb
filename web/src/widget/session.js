// The visitor's session, kept in this browser (localStorage) so a reload comes back to the same
// conversation: the customer token and the conversation id. The token comes from the host app
// (the #token= fragment that /widget.js passes on) or from a new visitor session of the REST API.
import { claims, expired, tokenFromFragment } from '../shared/token.js';

const KEY = 'ringcast.widget';

function load() {
  try {
    return JSON.parse(localStorage.getItem(KEY)) ?? {};
  } catch {
    return {};
  }
}

export function saveSession(session) {
  localStorage.setItem(KEY, JSON.stringify(session));
}

export function forgetSession() {
  localStorage.removeItem(KEY);
}

// POST /api/v1/widget/sessions (docs/rest.md): the website visitor becomes a customer with a token
// of their own, 201 {customerId, token, expiresAt}.
// `name`: what the host page knows of the visitor (the embed's data-name), shown to staff.
export async function startVisitorSession(name) {
  const res = await fetch('/api/v1/widget/sessions', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(name ? { name } : {}),
  });
  const body = await res.json().catch(() => ({}));
  const token = body.token ?? body.data?.token;
  if (!res.ok || !token) throw new Error(body.error?.message ?? `the chat is not available (${res.status})`);
  return token;
}

// The session to use: a token from the host app wins (a different customer starts afresh), then
// the kept one while it is valid, then a new visitor session.
export async function currentSession() {
  const given = tokenFromFragment();
  const kept = load();
  if (given) {
    const same = kept.token && claims(kept.token)?.sub === claims(given)?.sub;
    const session = { token: given, conversationId: same ? kept.conversationId ?? null : null };
    saveSession(session);
    return session;
  }
  if (kept.token && !expired(kept.token)) return kept;
  const name = new URLSearchParams(location.search).get('name')?.slice(0, 100);
  const session = { token: await startVisitorSession(name), conversationId: null };
  saveSession(session);
  return session;
}
