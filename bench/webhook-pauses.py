#!/usr/bin/env python3
"""Lines bench/webhook-load's slow answers up with JVM pauses: the driver's (target/bench-webhook/load-gc.log, always
written) and the coordinator's (a log given with MULTIARCH_JAVA_OPTS=-Xlog:gc*,safepoint:file=F:utctime,uptimemillis,tags).
Usage: bench/webhook-pauses.py ACK_FILE.times [DRIVER_LOG [SERVER_LOG]] [--over MS] [--since MS]"""
import re, sys, datetime

args = [a for a in sys.argv[1:]]
over = 10.0
since = 0.0
if '--over' in args:
    i = args.index('--over'); over = float(args[i + 1]); del args[i:i + 2]
if '--since' in args:  # only the answers scheduled this many ms or more after the first (the steady part)
    i = args.index('--since'); since = float(args[i + 1]); del args[i:i + 2]
times_file = args[0]
logs = args[1:]


def parse_time(s):
    return datetime.datetime.strptime(s.replace('Z', '+0000'), '%Y-%m-%dT%H:%M:%S.%f%z').timestamp()


start = None
rows = []
for line in open(times_file):
    if line.startswith('# start'):
        start = parse_time(line.split()[2].replace('Z', '.000Z') if '.' not in line.split()[2] else line.split()[2])
        continue
    t, lat, st = line.split()
    rows.append((float(t), float(lat), int(st)))

# JDK 17: [2026-11-29T02:30:00.123+0000][12345ms][safepoint] Safepoint "G1CollectForAllocation", Time since last: ..,
# Reaching safepoint: N ns, At safepoint: N ns, Total: N ns
SP = re.compile(r'^\[([^\]]+)\]\[\d+ms\]\[safepoint\s*\] Safepoint "([^"]+)".*Reaching safepoint: (\d+) ns.*At safepoint: (\d+) ns, Total: (\d+) ns')


def pauses(path):
    out = []
    for line in open(path):
        m = SP.match(line)
        if m:
            end = parse_time(m.group(1))
            total = int(m.group(5)) / 1e9
            out.append(((end - total - start) * 1000, (end - start) * 1000, m.group(2)))
    return out


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float('nan')
    i = max(0, min(len(xs) - 1, int(-(-p / 100 * len(xs) // 1)) - 1))
    return xs[i]


ok = [r for r in rows if r[2] == 202]
lat = [r[1] for r in ok]
end_ms = max(r[0] for r in rows) if rows else 0
print(f"{len(ok)} answers 202 of {len(rows)}; p50 {pct(lat, 50):.2f} p90 {pct(lat, 90):.2f} p99 {pct(lat, 99):.2f} "
      f"p99.9 {pct(lat, 99.9):.2f} max {max(lat):.2f} ms")
half = [r[1] for r in ok if r[0] >= end_ms / 2]
print(f"2nd half p99 {pct(half, 99):.2f} ms")
windows = []
for w in range(int(end_ms // 5000) + 1):
    ws = [r[1] for r in ok if w * 5000 <= r[0] < (w + 1) * 5000]
    if ws:
        windows.append(pct(ws, 99))
print("5 s windows' p99:", ' '.join(f"{x:.1f}" for x in windows))
slow = [r for r in ok if r[1] > over and r[0] >= since]
steady = [r for r in ok if r[0] >= since]
print(f"answers over {over} ms (scheduled from {since:.0f} ms on): {len(slow)} of {len(steady)}"
      f" ({100 * len(slow) / max(1, len(steady)):.2f} %)")
for name, path in zip(['driver', 'server'], logs):
    ps = [p for p in pauses(path) if p[1] >= 0 and p[0] <= end_ms + 1000]
    big = [p for p in ps if p[1] - p[0] >= 1.0]
    durs = sorted(p[1] - p[0] for p in ps)
    # A slow answer is touched by a pause that ran between its scheduled time and its answer.
    hit = 0
    wait = 0.0
    j = 0
    big.sort()
    for t, l, _ in slow:
        for a, b, _n in big:
            if a < t + l and b > t:
                hit += 1
                break
    kinds = {}
    for p in big:
        kinds[p[2]] = kinds.get(p[2], 0) + 1
    print(f"{name}: {len(ps)} safepoints in the run, {len(big)} of 1 ms or more {kinds}; "
          f"pause ms p50 {pct(durs, 50):.2f} p99 {pct(durs, 99):.2f} max {durs[-1] if durs else float('nan'):.2f}, "
          f"total {sum(durs):.0f} ms; slow answers overlapping one: {hit} of {len(slow)}")
