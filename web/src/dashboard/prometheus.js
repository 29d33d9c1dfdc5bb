// Reads the Prometheus text format of /metrics into samples, and the few figures the dashboard
// needs from them (sums over shards, a histogram's mean and quantile).

// [{name, labels: {k: v}, value}] for every sample line; comments and malformed lines are skipped.
export function parsePrometheus(text) {
  const samples = [];
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const raw of text.split('\n')) {
    if (!raw || raw[0] === '#') continue;
    const m = line.exec(raw);
    if (!m) continue;
    const labels = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(label)) labels[k] = v.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    const value = Number(m[3]);
    if (!Number.isNaN(value) || m[3] === 'NaN') samples.push({ name: m[1], labels, value });
  }
  return samples;
}

// The sum of a metric's samples whose labels include `where` (every shard's, usually).
export function sum(samples, name, where = {}) {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

// A histogram summed over its series: {count, sum, buckets: [[le, cumulative count]]} by le.
export function histogram(samples, name) {
  const byLe = new Map();
  for (const s of samples) if (s.name === `${name}_bucket`) {
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return {
    count: sum(samples, `${name}_count`),
    sum: sum(samples, `${name}_sum`),
    buckets: [...byLe].sort((a, b) => a[0] - b[0]),
  };
}

// Between two readings of a histogram: {count, mean, p95}, or null when nothing was observed.
// The quantile is interpolated inside its bucket, as Prometheus's histogram_quantile does.
export function histogramDelta(now, before) {
  const count = now.count - (before?.count ?? 0);
  if (!(count > 0)) return null;
  const mean = (now.sum - (before?.sum ?? 0)) / count;
  const prev = new Map(before?.buckets ?? []);
  const buckets = now.buckets.map(([le, c]) => [le, c - (prev.get(le) ?? 0)]);
  return { count, mean, p95: quantile(buckets, 0.95) };
}

export function quantile(buckets, q) {
  if (!buckets.length) return NaN;
  const total = buckets[buckets.length - 1][1];
  if (!(total > 0)) return NaN;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const [le, c] of buckets) {
    if (c >= rank) {
      if (le === Infinity) return lowerLe;
      return lowerLe + ((le - lowerLe) * (rank - lowerCount)) / Math.max(c - lowerCount, 1e-9);
    }
    lowerLe = le;
    lowerCount = c;
  }
  return lowerLe;
}
