"""Op-level summary of a libtorch chrome-trace profile (`./sara bench train --profile FILE`).

Prints, per operator name, the call count and self CPU time per step (time inside the op minus its child ops on
the same thread), and the step's wall time minus the summed top-level op time (framework overhead between ops).

  python3 tools/bench/profile_summary.py FILE --steps 20
"""
import argparse
import collections
import json

p = argparse.ArgumentParser()
p.add_argument("trace")
p.add_argument("--steps", type=int, required=True, help="steps the profile covers")
p.add_argument("--top", type=int, default=40)
a = p.parse_args()

with open(a.trace) as f:
    trace = json.load(f)
events = trace["traceEvents"] if isinstance(trace, dict) else trace
ops = [e for e in events if e.get("ph") == "X" and e.get("cat", "cpu_op") in ("cpu_op", "operator", "")]
by_thread = collections.defaultdict(list)
for e in ops:
    by_thread[e.get("tid")].append(e)

self_us = collections.Counter()
calls = collections.Counter()
top_level_us = 0.0
span = [float("inf"), 0.0]
for events_of_thread in by_thread.values():
    events_of_thread.sort(key=lambda e: (e["ts"], -e["dur"]))
    stack = []  # open events: [end, name, child time]
    def close_until(ts):
        global top_level_us
        while stack and stack[-1][0] <= ts:
            end, name, child, dur = stack.pop()
            self_us[name] += dur - child
            if stack:
                stack[-1][2] += dur
            else:
                top_level_us += dur
    for e in events_of_thread:
        close_until(e["ts"])
        calls[e["name"]] += 1
        stack.append([e["ts"] + e["dur"], e["name"], 0.0, e["dur"]])
        span[0] = min(span[0], e["ts"])
        span[1] = max(span[1], e["ts"] + e["dur"])
    close_until(float("inf"))

n = a.steps
print(f"ops per step {sum(calls.values()) / n:.0f}; summed self time per step {sum(self_us.values()) / n / 1000:.1f} ms; "
      f"top-level op time per step {top_level_us / n / 1000:.1f} ms; profiled span per step {(span[1] - span[0]) / n / 1000:.1f} ms")
print(f"{'op':60s} {'calls/step':>10s} {'self ms/step':>12s}")
for name, us in self_us.most_common(a.top):
    print(f"{name[:60]:60s} {calls[name] / n:10.1f} {us / n / 1000:12.2f}")
