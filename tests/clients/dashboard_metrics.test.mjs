// The dashboard's reading of /metrics (web/src/dashboard/prometheus.js, a plain module the page
// loads): samples and labels from the text format, sums over shards, and a histogram's mean and
// p95 as Prometheus's histogram_quantile computes them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { histogram, histogramDelta, parsePrometheus, quantile, sum } from '../../web/src/dashboard/prometheus.js';

const text = `# HELP ringcast_connections Open TCP connections.
# TYPE ringcast_connections gauge
ringcast_connections{shard="0"} 3
ringcast_connections{shard="1"} 4
ringcast_ai_jobs_total{outcome="answered"} 8
ringcast_ai_jobs_total{outcome="escalated"} 2
ringcast_odd{path="a \\"quoted\\" \\\\ value"} 1.5
ringcast_ai_response_seconds_bucket{le="0.1"} 6
ringcast_ai_response_seconds_bucket{le="0.5"} 9
ringcast_ai_response_seconds_bucket{le="+Inf"} 10
ringcast_ai_response_seconds_sum 2.5
ringcast_ai_response_seconds_count 10
not a sample line
`;

test('samples, labels with escapes, and sums over shards', () => {
  const samples = parsePrometheus(text);
  assert.equal(sum(samples, 'ringcast_connections'), 7);
  assert.equal(sum(samples, 'ringcast_ai_jobs_total', { outcome: 'answered' }), 8);
  assert.equal(sum(samples, 'ringcast_missing'), 0);
  assert.equal(samples.find((s) => s.name === 'ringcast_odd').labels.path, 'a "quoted" \\ value');
});

test('a histogram: mean, and p95 interpolated inside its bucket', () => {
  const h = histogram(parsePrometheus(text), 'ringcast_ai_response_seconds');
  assert.deepEqual(h.buckets, [[0.1, 6], [0.5, 9], [Infinity, 10]]);
  const d = histogramDelta(h, null);
  assert.equal(d.count, 10);
  assert.equal(d.mean, 0.25);
  // Rank 9.5 falls in the +Inf bucket: the answer is the highest finite bound.
  assert.equal(d.p95, 0.5);
  // Rank 4.5 of 10 inside the first bucket: 0.1 * 4.5 / 6.
  assert.ok(Math.abs(quantile(h.buckets, 0.45) - 0.075) < 1e-12);
  // Between two readings only what happened in between counts; nothing new is null.
  assert.equal(histogramDelta(h, h), null);
});
