"""Summaries of ringcast-load's JSON result lines for the bench scripts (inbox.sh, ai.sh): medians
with their spread, and a warning per run that lost, doubled or refused anything."""
import json
import statistics


def load(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def get(row, path):
    """The value at a dotted path such as "ack_latency_us.p99", or None."""
    for key in path.split("."):
        row = row.get(key) if isinstance(row, dict) else None
    return row


def cell(rows, label, path):
    """("median [min-max]", median) of `path` over the runs labelled `label`; latencies in ms."""
    xs = [v for v in (get(r, path) for r in rows if r.get("label") == label) if isinstance(v, (int, float))]
    if "latency" in path:
        xs = [x / 1000 for x in xs]
    if not xs:
        return "-", None
    fmt = lambda v: f"{v:,.0f}" if v >= 100 else f"{v:.2f}"
    m = statistics.median(xs)
    return f"{fmt(m)} [{fmt(min(xs))}-{fmt(max(xs))}]", m


def warn(rows, checks):
    """A line per run with a nonzero count among `checks` or a stall, and the saturated runs."""
    for r in rows:
        bad = {k: r.get(k) for k in checks if r.get(k)}
        if bad or r.get("stalled"):
            print(f"WARNING {r.get('label')}: {bad} stalled {r.get('stalled')} errors {r.get('ack_errors_by_code')}")
    sat = [r["label"] for r in rows if r.get("generator_saturated")]
    if sat:
        print(f"generator saturated in {len(sat)} run(s): {', '.join(sat)}")
