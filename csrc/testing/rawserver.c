/*
 * qbench-rawserver: a scripted HTTP peer for the specs, which says exactly
 * the bytes it is told to and nothing else. libmicrohttpd (the sandbox) is
 * too correct to cut an answer inside its status line or send a 200 KB
 * header; this can, and it also stands in for a proxy (it logs the
 * absolute-form request line it is sent).
 *
 * usage: qbench-rawserver --script FILE [--log FILE] [--port N] [--die-with-parent]
 *
 * It binds 127.0.0.1 (port 0: a free one), prints
 * "qbench-rawserver listening on http://127.0.0.1:PORT" and serves one
 * connection at a time. For each request (its head up to the blank line,
 * plus Content-Length body bytes) it appends the raw request to the log and
 * plays the next entry of the script; after the last entry it repeats the
 * last one.
 *
 * The script is binary-safe: directive lines, each ended by "\n", and raw
 * bytes counted by the directive before them (spec/rawserver.lua writes it):
 *   %%entry        starts the next entry
 *   %%send N       sends the N bytes that follow this line as they are
 *   %%stall MS     waits MS milliseconds (cut short when the client goes away)
 *   %%keep         after this entry, reads the next request on the same connection
 *   %%reset        ends the connection with a TCP reset instead of a close
 *   %%noread       plays this entry as soon as its connection is accepted, before
 *                  any request (a server that talks first, e.g. to a TLS client)
 * An entry that is neither kept nor reset closes the connection (write side
 * first, then whatever the client still sends is read and dropped, so that
 * the close never turns into a reset that could destroy the bytes sent).
 * Lines starting with "#" and empty lines between directives are ignored.
 *
 * The log is a sequence of records "%%request N C\n" + N raw bytes + "\n",
 * C counting connections from 1, so a spec can tell a reused connection.
 */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQUEST (16u * 1024u * 1024u)
#define IDLE_MS 10000 /* a client silent this long is dropped: one at a time must not mean forever */

typedef enum { STEP_SEND, STEP_STALL } step_kind;

typedef struct {
  step_kind kind;
  const char *data; /* STEP_SEND: points into the script */
  size_t len;
  long ms;          /* STEP_STALL */
} step;

typedef struct {
  step *steps;
  size_t nsteps;
  int keep, reset, noread;
} entry;

typedef struct {
  char *text;
  entry *entries;
  size_t nentries;
} script;

/* Bytes read from the client and not yet taken by a request. */
typedef struct {
  char *data;
  size_t len, cap;
} inbuf;

static void die(const char *what) {
  fprintf(stderr, "qbench-rawserver: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void *grow(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (q == NULL) die("out of memory");
  return q;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) die(path);
  size_t cap = 4096, n = 0;
  char *buf = grow(NULL, cap);
  size_t got;
  while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) buf = grow(buf, cap *= 2);
  }
  if (ferror(f)) die(path);
  fclose(f);
  *len = n;
  return buf;
}

static void bad_script(const char *why, size_t at) {
  fprintf(stderr, "qbench-rawserver: bad script at byte %zu: %s\n", at, why);
  exit(2);
}

static long parse_count(const char *s, const char *end, size_t at) {
  long v = 0;
  if (s == end) bad_script("a number is missing", at);
  for (; s < end; s++) {
    if (*s < '0' || *s > '9' || v > 100000000L) bad_script("not a number (0..100000000)", at);
    v = v * 10 + (*s - '0');
  }
  return v;
}

static void load_script(script *sc, const char *path) {
  size_t len;
  sc->text = read_file(path, &len);
  sc->entries = NULL;
  sc->nentries = 0;
  entry *cur = NULL;
  size_t i = 0;
  while (i < len) {
    const char *line = sc->text + i;
    const char *nl = memchr(line, '\n', len - i);
    if (nl == NULL) bad_script("a directive line without its newline", i);
    size_t at = i;
    i = (size_t)(nl - sc->text) + 1;
    if (nl == line || line[0] == '#') continue;
    if (strncmp(line, "%%entry", 7) == 0 && nl == line + 7) {
      sc->entries = grow(sc->entries, (sc->nentries + 1) * sizeof *sc->entries);
      cur = &sc->entries[sc->nentries++];
      memset(cur, 0, sizeof *cur);
      continue;
    }
    if (cur == NULL) bad_script("a directive before the first %%entry", at);
    if (strncmp(line, "%%keep", 6) == 0 && nl == line + 6) {
      cur->keep = 1;
    } else if (strncmp(line, "%%reset", 7) == 0 && nl == line + 7) {
      cur->reset = 1;
    } else if (strncmp(line, "%%noread", 8) == 0 && nl == line + 8) {
      cur->noread = 1;
    } else if (strncmp(line, "%%send ", 7) == 0 || strncmp(line, "%%stall ", 8) == 0) {
      int send = line[2] == 's' && line[3] == 'e';
      const char *num = line + (send ? 7 : 8);
      long n = parse_count(num, nl, at);
      cur->steps = grow(cur->steps, (cur->nsteps + 1) * sizeof *cur->steps);
      step *s = &cur->steps[cur->nsteps++];
      memset(s, 0, sizeof *s);
      if (send) {
        if ((size_t)n > len - i) bad_script("%%send counts more bytes than the file has", at);
        s->kind = STEP_SEND;
        s->data = sc->text + i;
        s->len = (size_t)n;
        i += (size_t)n;
      } else {
        s->kind = STEP_STALL;
        s->ms = n;
      }
    } else {
      bad_script("unknown directive", at);
    }
  }
  if (sc->nentries == 0) bad_script("no %%entry", len);
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what is there into `in`, waiting up to ms. 1: read some, 0: timed out, -1: closed or failed. */
static int fill(int fd, inbuf *in, long ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int r;
  while ((r = poll(&p, 1, (int)ms)) < 0 && errno == EINTR) {
  }
  if (r == 0) return 0;
  if (r < 0) return -1;
  if (in->cap - in->len < 65536) in->data = grow(in->data, in->cap = in->cap * 2 + 65536);
  ssize_t n;
  while ((n = recv(fd, in->data + in->len, in->cap - in->len, 0)) < 0 && errno == EINTR) {
  }
  if (n <= 0) return -1;
  in->len += (size_t)n;
  return 1;
}

/* The length of the first request in `in` once it is complete, else 0. */
static size_t request_length(const inbuf *in) {
  size_t head = 0;
  for (size_t i = 0; i + 1 < in->len; i++) {
    if (in->data[i] == '\n' && in->data[i + 1] == '\n') { head = i + 2; break; }
    if (i + 3 < in->len && memcmp(in->data + i, "\r\n\r\n", 4) == 0) { head = i + 4; break; }
  }
  if (head == 0) return 0;
  size_t body = 0;
  for (size_t i = 0; i < head;) {
    const char *line = in->data + i;
    const char *nl = memchr(line, '\n', head - i);
    size_t n = nl ? (size_t)(nl - line) : head - i;
    if (n > 15 && strncasecmp(line, "Content-Length:", 15) == 0) body = strtoul(line + 15, NULL, 10);
    i += n + 1;
  }
  if (body > MAX_REQUEST || in->len - head < body) return 0;
  return head + body;
}

static void log_request(const char *path, const char *data, size_t len, unsigned long conn) {
  if (path == NULL) return;
  FILE *f = fopen(path, "ab");
  if (f == NULL) die(path);
  fprintf(f, "%%%%request %zu %lu\n", len, conn);
  fwrite(data, 1, len, f);
  fputc('\n', f);
  if (fclose(f) != 0) die(path);
}

static int send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Waits ms, reading ahead; -1 when the client went away meanwhile. */
static int stall(int fd, inbuf *in, long ms) {
  long until = now_ms() + ms;
  for (long left = ms; left > 0; left = until - now_ms()) {
    if (fill(fd, in, left) < 0) return -1;
  }
  return 0;
}

/* Plays one entry; 0 to go on with the connection, -1 to drop it. */
static int play(int fd, inbuf *in, const entry *e) {
  for (size_t i = 0; i < e->nsteps; i++) {
    const step *s = &e->steps[i];
    int r = s->kind == STEP_SEND ? send_all(fd, s->data, s->len) : stall(fd, in, s->ms);
    if (r != 0) return -1;
  }
  return 0;
}

/*
 * A close the client sees as a clean end of the stream: closing with unread
 * input makes the kernel send a reset, which can destroy what we sent before
 * the client has read it. So the write side goes first and input is drained
 * until the client closes too, for 2 s at most, or until the next client
 * connects: a keep-alive client holds its end open, and one connection at a
 * time must not mean one every 2 s.
 */
static void lingering_close(int fd, inbuf *in, int listener) {
  shutdown(fd, SHUT_WR);
  long until = now_ms() + 2000;
  for (long left = 2000; left > 0; left = until - now_ms()) {
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = listener, .events = POLLIN}};
    int r;
    while ((r = poll(p, 2, (int)left)) < 0 && errno == EINTR) {
    }
    if (r <= 0 || (p[1].revents & POLLIN)) break;
    in->len = 0;
    if (fill(fd, in, 0) < 0) break;
  }
  close(fd);
}

static void reset_close(int fd) {
  struct linger l = {.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

typedef struct {
  script sc;
  size_t next;          /* the entry to play next */
  const char *log_path; /* or NULL */
  int listener;
} server;

/* Plays the next entry; 1 to read the next request on this connection, 0 when it is closed. */
static int next_entry(server *sv, int fd, inbuf *in) {
  const script *sc = &sv->sc;
  const entry *e = &sc->entries[sv->next < sc->nentries ? sv->next : sc->nentries - 1];
  if (sv->next < sc->nentries) sv->next++;
  if (play(fd, in, e) != 0) {
    close(fd);
    return 0;
  }
  if (e->reset) {
    reset_close(fd);
    return 0;
  }
  if (!e->keep) {
    lingering_close(fd, in, sv->listener);
    return 0;
  }
  return 1;
}

static void serve(server *sv, int fd, unsigned long conn) {
  const script *sc = &sv->sc;
  inbuf in = {0};
  int alive = 1;
  if (sc->entries[sv->next < sc->nentries ? sv->next : sc->nentries - 1].noread) alive = next_entry(sv, fd, &in);
  while (alive) {
    size_t n;
    int r = 1;
    while ((n = request_length(&in)) == 0 && r > 0) {
      if (in.len > MAX_REQUEST) r = -1;
      else r = fill(fd, &in, IDLE_MS);
    }
    if (n == 0) {
      if (in.len > 0) log_request(sv->log_path, in.data, in.len, conn); /* what came before the client gave up */
      close(fd);
      break;
    }
    log_request(sv->log_path, in.data, n, conn);
    memmove(in.data, in.data + n, in.len - n);
    in.len -= n;
    alive = next_entry(sv, fd, &in);
  }
  free(in.data);
}

static void usage(void) {
  fputs("usage: qbench-rawserver --script FILE [--log FILE] [--port N] [--die-with-parent]\n", stderr);
  exit(2);
}

int main(int argc, char **argv) {
  const char *script_path = NULL, *log_path = NULL;
  long port = 0;
  int die_with_parent = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--die-with-parent") == 0) die_with_parent = 1;
    else if (i + 1 >= argc) usage();
    else if (strcmp(argv[i], "--script") == 0) script_path = argv[++i];
    else if (strcmp(argv[i], "--log") == 0) log_path = argv[++i];
    else if (strcmp(argv[i], "--port") == 0) {
      char *end;
      port = strtol(argv[++i], &end, 10);
      if (*end != '\0' || port < 0 || port > 65535) usage();
    } else usage();
  }
  if (script_path == NULL) usage();
  if (die_with_parent) {
    pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) die("prctl");
    if (getppid() != parent) return 0; /* the parent died before prctl took effect */
  }
  signal(SIGPIPE, SIG_IGN);
  server sv = {.next = 0, .log_path = log_path};
  load_script(&sv.sc, script_path);

  int ls = socket(AF_INET, SOCK_STREAM, 0);
  if (ls < 0) die("socket");
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0) die("bind");
  if (listen(ls, 64) != 0) die("listen");
  socklen_t alen = sizeof a;
  if (getsockname(ls, (struct sockaddr *)&a, &alen) != 0) die("getsockname");
  printf("qbench-rawserver listening on http://127.0.0.1:%u\n", (unsigned)ntohs(a.sin_port));
  fflush(stdout);

  sv.listener = ls;
  for (unsigned long conn = 1;; conn++) {
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      die("accept");
    }
    serve(&sv, fd, conn);
  }
}
