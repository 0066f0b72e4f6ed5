"""The Python requests peer (Debian python3-requests): one Session, JSON decode.

  /usr/bin/python3 bench/peer_requests.py get  URL TOKEN CALLS [CA_FILE]   # URL: one customer
  /usr/bin/python3 bench/peer_requests.py walk BASE_URL TOKEN [CA_FILE]     # every page, one at a time

The Session keeps one connection alive; verify= the test CA for https.
Prints: RESULT calls=N seconds=S   |   RESULT customers=N pages=P seconds=S
"""
import sys
import time

import requests


def main():
    mode, url, token = sys.argv[1], sys.argv[2], sys.argv[3]
    ca_file = (sys.argv[5] if len(sys.argv) > 5 else None) if mode == "get" else (
        sys.argv[4] if len(sys.argv) > 4 else None)
    s = requests.Session()
    s.headers.update({"Authorization": "Bearer " + token, "Accept": "application/json"})
    # Per call, not s.verify: REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in the
    # environment would override a Session's verify (requests issue #3829).
    verify = ca_file if ca_file else True

    def get(u, params=None):
        r = s.get(u, params=params, timeout=60, verify=verify)
        if r.status_code != 200:
            raise SystemExit("GET %s failed: HTTP %d" % (u, r.status_code))
        return r.json()

    if mode == "get":
        calls = int(sys.argv[4])
        for _ in range(10):
            assert get(url)["id"] == 1
        start = time.perf_counter()
        for i in range(calls):
            if get(url)["id"] != 1:
                raise SystemExit("call %d: wrong customer" % i)
        print("RESULT calls=%d seconds=%.6f" % (calls, time.perf_counter() - start))
    elif mode == "walk":
        start = time.perf_counter()
        n, page_num = 0, 1
        while True:
            p = get(url + "/qbench/api/v1/customer", {"page_num": page_num, "page_size": 50})
            for c in p["data"]:
                n += 1
                if c["id"] != n:
                    raise SystemExit("customers out of order")
            total = p.get("total_pages")
            if not p["data"] or (isinstance(total, int) and page_num >= total):
                break
            page_num += 1
        print("RESULT customers=%d pages=%d seconds=%.6f" % (n, page_num, time.perf_counter() - start))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
