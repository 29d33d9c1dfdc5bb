// uPlot charts sized to their box: time series (the last minutes, live) and bars (one per category).
import uPlot from '/vendor/uplot/uPlot.esm.js';

const palette = ['#3b5bdb', '#e8590c', '#2b8a3e', '#ae3ec9', '#1098ad', '#f08c00'];
const axis = { stroke: '#667085', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#eef0f3' } };

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

function size(el) {
  return { width: Math.max(el.clientWidth, 200), height: 220 };
}

function resizing(el, plot) {
  new ResizeObserver(() => plot.setSize(size(el))).observe(el);
  return plot;
}

// A time chart with one line per name; push(seconds, values) adds a point, keeping `keep` points.
// `floor`: the least the y axis shows, so a flat line near 0 is not drawn as a wild scale.
export function timeChart(el, names, { unit = '', keep = 120, floor = 1 } = {}) {
  const data = [[], ...names.map(() => [])];
  const plot = resizing(el, new uPlot({
    ...size(el),
    series: [{}, ...names.map((label, i) => ({ label, stroke: palette[i], width: 2, points: { show: false },
      value: (u, v) => (v == null ? '—' : `${+v.toFixed(2)}${unit}`) }))],
    axes: [{ ...axis, space: 90, values: (u, vals) => vals.map((v) => clock.format(new Date(v * 1000))) },
      { ...axis, size: 56, values: (u, vals) => vals.map((v) => `${+v.toFixed(2)}${unit}`) }],
    scales: { y: { range: (u, min, max) => [0, Math.max(max * 1.15, floor)] } },
    legend: { live: false },
  }, data, el));
  return {
    push(t, values) {
      data[0].push(t);
      values.forEach((v, i) => data[i + 1].push(v));
      if (data[0].length > keep) for (const col of data) col.shift();
      plot.setData(data);
    },
    plot,
  };
}

// Bars for categories: set({name: value}) redraws them.
export function barChart(el, { color = palette[0] } = {}) {
  let labels = [];
  const plot = resizing(el, new uPlot({
    ...size(el),
    series: [{}, { label: 'count', fill: color, stroke: color, paths: uPlot.paths.bars({ size: [0.6, 64] }), points: { show: false } }],
    axes: [{ ...axis, values: (u, vals) => vals.map((v) => labels[v] ?? '') , splits: () => labels.map((_, i) => i) },
      { ...axis, size: 48 }],
    scales: { x: { time: false, range: () => [-0.5, Math.max(labels.length - 0.5, 0.5)] },
      y: { range: (u, min, max) => [0, Math.max(max * 1.15, 1)] } },
    legend: { show: false },
  }, [[], []], el));
  return {
    set(counts) {
      labels = Object.keys(counts);
      el.dataset.empty = String(labels.length === 0);
      plot.setData([labels.map((_, i) => i), labels.map((k) => counts[k])]);
    },
    plot,
  };
}
