#!/usr/bin/env python3
"""Times sign-up and password reset for registered and unregistered addresses against a
running server with KOTAE_RATE_LIMITS=off and no SMTP (mail as .eml files in its data
directory, where this script finds the verification link), to check that neither answer nor
timing tells them apart. Usage: tests/load/enumeration.py BASE_URL DATA_DIR [runs]"""
import glob
import json
import re
import statistics
import sys
import time
import urllib.error
import urllib.request

base = sys.argv[1].rstrip("/")
data_dir = sys.argv[2]
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 40
stamp = str(int(time.time()))


def post(path, body):
    request = urllib.request.Request(base + path, json.dumps(body).encode(), {"content-type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request) as response:
            status = response.status
    except urllib.error.HTTPError as e:
        status = e.code
    return status, (time.perf_counter() - started) * 1000


def sign_up(name, email):
    return post("/api/v1/accounts", {"username": name, "email": email, "password": "correct horse battery staple"})


holder = f"holder{stamp}@example.com"
assert sign_up(f"holder{stamp}", holder)[0] == 201
for _ in range(100):
    mails = [open(f).read() for f in glob.glob(f"{data_dir}/mail/*.eml")]
    links = [m for m in mails if holder in m and "verify?token=3D" in m or holder in m and "verify?token=" in m]
    if links:
        break
    time.sleep(0.1)
token = re.search(r"verify\?token=(?:3D)?([A-Za-z0-9_-]{43})", links[0].replace("=\r\n", "").replace("=\n", "")).group(1)
assert post("/api/v1/accounts/verify", {"token": token})[0] == 200
cases = {
    "sign-up, new address": lambda i: sign_up(f"n{stamp}x{i}", f"n{stamp}x{i}@example.com"),
    "sign-up, registered address": lambda i: sign_up(f"r{stamp}x{i}", holder),
    "reset, registered address": lambda i: post("/api/v1/password-resets", {"email": holder}),
    "reset, unknown address": lambda i: post("/api/v1/password-resets", {"email": f"u{stamp}x{i}@example.com"}),
}
results = {name: [] for name in cases}
for i in range(runs):  # interleaved, so warm-up and drift hit every case alike
    for name, case in cases.items():
        results[name].append(case(i))
for name in cases:
    statuses = sorted({s for s, _ in results[name]})
    times = [t for _, t in results[name]]
    print(f"{name:30} status {statuses}  median {statistics.median(times):6.1f} ms  "
          f"p90 {statistics.quantiles(times, n=10)[-1]:6.1f} ms")
