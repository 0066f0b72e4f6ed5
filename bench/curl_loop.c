/*
 * The floor for scenario 1: a bare libcurl loop doing per call what the
 * qbench C core does (csrc/handle.c), minus Lua and JSON decoding.
 *
 *   curl_loop URL TOKEN CALLS [CA_FILE]
 *
 * One easy handle reused for every call (keep-alive), the same options as
 * qbench's client (NOSIGNAL, timeouts, ACCEPT_ENCODING "", TCP keep-alive,
 * CA file beside the system's CAs), the same request headers (Accept,
 * Authorization: Bearer, "Expect:" removed, a curl_slist built per call),
 * and the answer's header lines and body collected into growing buffers.
 * 10 warm-up calls (the connection is made there), then CALLS timed calls.
 * Prints one line: RESULT calls=N seconds=S bytes=B
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  char *data;
  size_t len, cap;
} buf;

static int buf_add(buf *b, const char *p, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n + 1) cap *= 2;
    char *grown = realloc(b->data, cap);
    if (grown == NULL) return -1;
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud) {
  size_t n = size * nmemb;
  return buf_add(ud, p, n) == 0 ? n : 0;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud) {
  buf *b = ud;
  size_t n = size * nmemb;
  if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) b->len = 0; /* keep the final block, like qbench */
  return buf_add(b, p, n) == 0 ? n : 0;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 4 || argc > 5) {
    fprintf(stderr, "usage: %s URL TOKEN CALLS [CA_FILE]\n", argv[0]);
    return 2;
  }
  const char *url = argv[1];
  long calls = strtol(argv[3], NULL, 10);
  char auth[1024];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", argv[2]);

  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL *h = curl_easy_init();
  char errbuf[CURL_ERROR_SIZE];
  buf body = {0}, head = {0};
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &head);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "bench-curl-loop");
  if (argc == 5) {
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    curl_easy_setopt(h, CURLOPT_CAINFO, argv[4]);
    curl_easy_setopt(h, CURLOPT_CAPATH, v->capath ? v->capath : "/etc/ssl/certs");
  }

  double start = now();
  size_t bytes = 0;
  for (long i = -10; i < calls; i++) {
    if (i == 0) start = now();
    struct curl_slist *list = curl_slist_append(NULL, "Accept: application/json");
    list = curl_slist_append(list, auth);
    list = curl_slist_append(list, "Expect:");
    body.len = head.len = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(list);
    if (rc != CURLE_OK || status != 200 || body.len == 0 || body.data[0] != '{') {
      fprintf(stderr, "curl_loop: call %ld failed: %s (HTTP %ld)\n", i, rc ? errbuf : "bad answer", status);
      return 1;
    }
    if (i >= 0) bytes += body.len;
  }
  double seconds = now() - start;
  printf("RESULT calls=%ld seconds=%.6f bytes=%zu\n", calls, seconds, bytes);
  curl_easy_cleanup(h);
  free(body.data);
  free(head.data);
  curl_global_cleanup();
  return 0;
}
