// Where a page's JWT comes from: the URL fragment (#token=...), what this browser kept, or the
// development sign-in (POST /dev/token, present only when the server runs with --dev-login).

// Reads #token=... once and removes it from the address bar (and from the history).
export function tokenFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (token) history.replaceState(null, '', location.pathname + location.search);
  return token || null;
}

// The token's claims ({sub, role, name, exp}), or null when it is not a JWT. Not verified: the
// server does that; the page only wants the name and the expiry.
export function claims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(part))));
  } catch {
    return null;
  }
}

export function expired(token, marginSeconds = 60) {
  const c = claims(token);
  return !c || (typeof c.exp === 'number' && c.exp * 1000 < Date.now() + marginSeconds * 1000);
}

const STAFF_KEY = 'ringcast.staffToken';

// The staff token of the inbox and the dashboard (shared by the tabs of this browser).
export function savedStaffToken() {
  const t = localStorage.getItem(STAFF_KEY);
  if (!t || expired(t) || claims(t)?.role !== 'staff') return null;
  return t;
}
export const saveStaffToken = (t) => localStorage.setItem(STAFF_KEY, t);
export const forgetStaffToken = () => localStorage.removeItem(STAFF_KEY);

// Whether the server offers the development sign-in: a GET answers 204 when it is on, 404 when
// it is off.
export async function devLoginAvailable() {
  try {
    return (await fetch('/dev/token', { cache: 'no-store' })).status === 204;
  } catch {
    return false;
  }
}

// A staff token from the development sign-in.
export async function devLogin(name) {
  const res = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(name ? { name, sub: `dev-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}` } : {}),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error?.message ?? `sign-in failed (${res.status})`);
  return body.token;
}

// The staff token for this page: the fragment wins, then what was kept; null when there is none.
export function staffToken() {
  const fromUrl = tokenFromFragment();
  if (fromUrl) saveStaffToken(fromUrl);
  return fromUrl ?? savedStaffToken();
}
