// GET /api/v1/metrics/summary (the REST API, staff token): the windowed figures of the inbox.
// Answers null while the API is not there (404) so the dashboard shows what /metrics has.
export async function fetchSummary(token, windowMinutes = 60) {
  const res = await fetch(`/api/v1/metrics/summary?windowMinutes=${windowMinutes}`, {
    headers: { Authorization: `Bearer ${token}` },
    cache: 'no-store',
  });
  if (res.status === 404) return null;
  const body = await res.json().catch(() => null);
  if (!res.ok || !body) throw new Error(body?.error?.message ?? `metrics summary: HTTP ${res.status}`);
  return body.data ?? body;
}
