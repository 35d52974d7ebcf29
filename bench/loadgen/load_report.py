#!/usr/bin/env python3
"""Turns the JSON results of bench/run-load-bench.sh (one file per run) into Markdown tables:
our gateway vs Janus side by side with the ratio per figure, idle sessions, recording cost.

usage: load_report.py RESULTS_DIR > results.md
"""
import json
import pathlib
import re
import sys


def load(directory):
    runs = {}
    for path in sorted(pathlib.Path(directory).glob("*.json")):
        runs[path.stem] = json.loads(path.read_text())
    return runs


def get(run, *keys):
    value = run
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def fmt(value, digits=1):
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def ratio(ours, theirs, lower_is_better=True):
    if ours is None or theirs is None or ours == 0 or theirs == 0:
        return "—"
    r = theirs / ours if lower_is_better else ours / theirs
    return f"{r:.1f}× {'better' if r >= 1 else 'worse'}"


CALL_FIGURES = [
    # (label, keys, digits, lower is better)
    ("calls held (of started)", None, 0, False),
    ("call setup p50 / p99 (ms)", ("setup_ms",), 1, True),
    ("ICE + DTLS after answer p50 (ms)", ("ice_dtls_ms", "p50"), 1, True),
    ("media round trip p50 / p99 (ms)", ("rtt_ms",), 2, True),
    ("round-trip packet loss (%)", ("loss_pct",), 3, True),
    ("gateway CPU per call-second (µs)", ("gateway", "cpu_us_per_call_s"), 0, True),
    ("gateway CPU while holding (% of one core)", ("gateway", "cpu_pct_in_hold"), 1, True),
    ("gateway RSS per call (KiB)", ("gateway", "rss_per_client_kib"), 0, True),
    ("gateway threads while holding", ("gateway", "threads_in_hold"), 0, True),
]


def call_cell(run, label, keys, digits):
    if run is None:
        return "—", None
    if keys is None:
        return f"{run['held']} ({run['clients']})", run["held"]
    value = get(run, *keys)
    if isinstance(value, dict):
        return f"{fmt(value['p50'], digits)} / {fmt(value['p99'], digits)}", value["p99"]
    return fmt(value, digits), value


def calls_table(runs):
    counts = sorted({int(m.group(1)) for name in runs
                     if (m := re.match(r"calls-(\d+)-gateway$", name))})
    if not counts:
        return ""
    out = ["## Calls (G.711, 20 ms, every call echoed by the far end)", ""]
    for n in counts:
        ours, janus = runs.get(f"calls-{n}-gateway"), runs.get(f"calls-{n}-janus")
        out += [f"### {n} concurrent calls", "",
                "| figure | SIP Gateway | Janus 1.1.2 | ratio |", "|---|---|---|---|"]
        for label, keys, digits, lower in CALL_FIGURES:
            ours_text, ours_value = call_cell(ours, label, keys, digits)
            janus_text, janus_value = call_cell(janus, label, keys, digits)
            out.append(f"| {label} | {ours_text} | {janus_text} | "
                       f"{ratio(ours_value, janus_value, lower) if janus else '—'} |")
        failures = {**(get(ours, "failures") or {}), **{f"janus: {k}": v for k, v in (get(janus, "failures") or {}).items()}}
        if failures:
            out.append("")
            out.append("Failures: " + "; ".join(f"{k} × {v}" for k, v in failures.items()))
        out.append("")
    return "\n".join(out)


def idle_table(runs):
    counts = sorted({int(m.group(1)) for name in runs
                     if (m := re.match(r"idle-(\d+)-gateway$", name))})
    if not counts:
        return ""
    out = ["## Idle registered sessions", "",
           "| sessions | figure | SIP Gateway | Janus 1.1.2 | ratio |", "|---|---|---|---|---|"]
    for n in counts:
        ours, janus = runs.get(f"idle-{n}-gateway"), runs.get(f"idle-{n}-janus")
        rows = [("registered (of started)", lambda r: r["held"], 0, False),
                ("registrations/s", lambda r: r.get("registrations_per_s"), 1, False),
                ("registration p50 / p99 (ms)", lambda r: r.get("registration_ms"), 1, True),
                ("RSS per idle session (KiB)", lambda r: get(r, "gateway", "rss_per_client_kib"), 1, True),
                ("threads", lambda r: get(r, "gateway", "threads_in_hold"), 0, True)]
        for label, pick, digits, lower in rows:
            cells = []
            for run in (ours, janus):
                value = pick(run) if run else None
                if isinstance(value, dict):
                    cells.append((f"{fmt(value['p50'], digits)} / {fmt(value['p99'], digits)}", value["p99"]))
                else:
                    cells.append((fmt(value, digits), value))
            out.append(f"| {n} | {label} | {cells[0][0]} | {cells[1][0]} | "
                       f"{ratio(cells[0][1], cells[1][1], lower) if janus else '—'} |")
    return "\n".join(out) + "\n"


def recording_table(runs):
    rows = []
    for name, run in runs.items():
        m = re.match(r"calls-(\d+)-gateway-norec$", name)
        recorded = runs.get(f"calls-{m.group(1)}-gateway") if m else None
        if not recorded:
            continue
        on = get(recorded, "gateway", "cpu_us_per_call_s")
        off = get(run, "gateway", "cpu_us_per_call_s")
        cost = on - off if on is not None and off is not None else None
        drops = get(recorded, "gateway", "recorder_queue_drops")
        rows.append(f"| {m.group(1)} | {fmt(on, 0)} | {fmt(off, 0)} | {fmt(cost, 0)} | {fmt(drops)} |")
    if not rows:
        return ""
    return "\n".join(["## Recording cost (same load, recording on vs off)", "",
                      "| calls | CPU µs per call-second, recorded | not recorded | recording | recorder queue drops |",
                      "|---|---|---|---|---|", *rows, ""])


def main():
    runs = load(sys.argv[1])
    print("\n".join(part for part in (calls_table(runs), idle_table(runs), recording_table(runs)) if part))


if __name__ == "__main__":
    main()
