/*
 * open-loop-load: HTTP/1.1 keep-alive load at a fixed request rate, open loop, latency measured
 * from each request's scheduled time (what wrk2's -R does; wrk2 is not packaged for Debian and
 * cannot be downloaded here).
 *
 * Why not wrk with a Lua delay(): wrk's timers take whole milliseconds, so paced requests leave
 * in clumps at each millisecond tick, and its loop is closed: a slow answer delays the next
 * request on its connection, which hides the slowness (coordinated omission). This program
 * schedules every request on a nanosecond clock (Poisson arrivals by default, as from many
 * independent clients; evenly spaced with --arrivals uniform), sends it on an idle connection
 * when it is due, and when every connection is busy queues it: its latency still counts from
 * the time it was due.
 *
 * One thread, epoll, a timerfd armed for the next due request, a timer slack of 1 ns. Answers
 * are framed by Content-Length, chunked encoding or the end of the connection; a connection the
 * server closes is opened again (a request in flight on it counts as an error).
 *
 * Usage: open-loop-load --url http://HOST:PORT/PATH --rate N [--duration S] [--warmup S]
 *          [--connections N] [--header 'Name: value']... [--arrivals poisson|uniform]
 *          [--seed N] [--timeout S]
 * Prints one JSON object on stdout. Exits 2 on bad arguments, 1 when it cannot connect.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADERS 32
#define MAX_ANSWER (1 << 20)
#define TIMER_TAG ((void *)1)

typedef struct {
  int fd;
  int busy;         /* a request is on this connection and its answer is not read yet */
  uint64_t due_ns;  /* when the request in flight was due */
  uint64_t sent_ns; /* when its first byte was written */
  size_t written;   /* bytes of the request written so far */
  char *buffer;     /* bytes of the answer read so far */
  size_t length, capacity;
} Connection;

/* A growable array of nanosecond figures. */
typedef struct {
  uint64_t *values;
  size_t count, capacity;
} Series;

static struct {
  char *host;
  char port[16];
  const char *path;
  double rate, duration, warmup, timeout;
  int connections, uniform;
  uint64_t seed;
  const char *headers[MAX_HEADERS];
  int header_count;
} options = {.duration = 10, .warmup = 0, .timeout = 5, .connections = 64, .seed = 1};

static char *request;
static size_t request_length;
static struct sockaddr_storage address;
static socklen_t address_length;
static int epoll_fd, timer_fd;
static Connection *connections;

static int *idle; /* indices of idle connections, a stack */
static int idle_count;

/* Due times of requests waiting for a free connection, oldest first (a ring). */
static uint64_t *backlog;
static size_t backlog_capacity, backlog_head, backlog_size, backlog_max;

static uint64_t measure_from, measure_until; /* requests due in [from, until) are measured */
static Series latencies, services, send_lags;
static uint64_t errors, non2xx, timeouts, reconnects, scheduled;

static void report(const char *format, va_list args) {
  fprintf(stderr, "open-loop-load: ");
  vfprintf(stderr, format, args);
  fprintf(stderr, "\n");
}

/* A bad argument: what is wrong, the usage line, exit 2. */
static void usage(const char *format, ...) {
  va_list args;
  va_start(args, format);
  report(format, args);
  va_end(args);
  fprintf(stderr, "usage: open-loop-load --url http://HOST:PORT/PATH --rate N [--duration S] [--warmup S] [--connections N] [--header 'Name: value']... [--arrivals poisson|uniform] [--seed N] [--timeout S]\n");
  exit(2);
}

/* The load cannot go on (no connection, no memory): exit 1. */
static void fail(const char *format, ...) {
  va_list args;
  va_start(args, format);
  report(format, args);
  va_end(args);
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void push(Series *series, uint64_t value) {
  if (series->count == series->capacity) {
    series->capacity = series->capacity ? series->capacity * 2 : 65536;
    series->values = realloc(series->values, series->capacity * sizeof(uint64_t));
    if (!series->values) fail("out of memory");
  }
  series->values[series->count++] = value;
}

/* xorshift64*: the same seed gives the same arrivals every run. */
static uint64_t random_state;
static double random_unit(void) {
  random_state ^= random_state >> 12;
  random_state ^= random_state << 25;
  random_state ^= random_state >> 27;
  return (double)((random_state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static uint64_t next_gap_ns(void) {
  double mean = 1e9 / options.rate;
  if (options.uniform) return (uint64_t)mean;
  return (uint64_t)(-log(1.0 - random_unit()) * mean);
}

static double number(const char *name, const char *text) {
  char *end;
  double value = strtod(text, &end);
  if (*text == 0 || *end != 0 || !(value >= 0)) usage("%s takes a number, not \"%s\"", name, text);
  return value;
}

static void parse_arguments(int argc, char **argv) {
  const char *url = NULL;
  for (int i = 1; i < argc; i++) {
    const char *name = argv[i];
    if (i + 1 >= argc) usage("%s needs a value", name);
    const char *value = argv[++i];
    if (!strcmp(name, "--url")) url = value;
    else if (!strcmp(name, "--rate")) options.rate = number(name, value);
    else if (!strcmp(name, "--duration")) options.duration = number(name, value);
    else if (!strcmp(name, "--warmup")) options.warmup = number(name, value);
    else if (!strcmp(name, "--timeout")) options.timeout = number(name, value);
    else if (!strcmp(name, "--connections")) options.connections = (int)number(name, value);
    else if (!strcmp(name, "--seed")) options.seed = (uint64_t)number(name, value);
    else if (!strcmp(name, "--header")) {
      if (options.header_count == MAX_HEADERS) usage("at most %d headers", MAX_HEADERS);
      if (!strchr(value, ':') || strpbrk(value, "\r\n")) usage("a header is 'Name: value' on one line, not \"%s\"", value);
      options.headers[options.header_count++] = value;
    } else if (!strcmp(name, "--arrivals")) {
      if (!strcmp(value, "uniform")) options.uniform = 1;
      else if (strcmp(value, "poisson")) usage("--arrivals is poisson or uniform, not \"%s\"", value);
    } else usage("unknown option %s", name);
  }
  if (!url) usage("--url is required");
  if (!(options.rate > 0)) usage("--rate (requests per second, > 0) is required");
  if (!(options.duration > 0)) usage("--duration must be > 0");
  if (options.connections < 1) usage("--connections must be >= 1");
  random_state = options.seed * 0x9E3779B97F4A7C15ull + 1;

  if (strncmp(url, "http://", 7) != 0) usage("only http:// URLs, not \"%s\"", url);
  const char *rest = url + 7;
  const char *slash = strchr(rest, '/');
  size_t authority = slash ? (size_t)(slash - rest) : strlen(rest);
  char *host = strndup(rest, authority);
  char *bracket = strchr(host, ']');
  char *colon = strrchr(host, ':');
  if (colon && (!bracket || colon > bracket)) {
    *colon = 0;
    snprintf(options.port, sizeof options.port, "%s", colon + 1);
  } else snprintf(options.port, sizeof options.port, "80");
  if (host[0] == '[') {
    host++;
    if (bracket) *bracket = 0;
  }
  options.host = host;
  options.path = slash ? slash : "/";
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *found;
  int status = getaddrinfo(options.host, options.port, &hints, &found);
  if (status != 0) fail("cannot resolve %s: %s", options.host, gai_strerror(status));
  memcpy(&address, found->ai_addr, found->ai_addrlen);
  address_length = found->ai_addrlen;
  freeaddrinfo(found);

  size_t capacity = 64 + strlen(options.path) + authority;
  for (int i = 0; i < options.header_count; i++) capacity += strlen(options.headers[i]) + 2;
  request = malloc(capacity);
  int length = snprintf(request, capacity, "GET %s HTTP/1.1\r\nHost: %.*s\r\n", options.path, (int)authority, rest);
  for (int i = 0; i < options.header_count; i++) length += snprintf(request + length, capacity - length, "%s\r\n", options.headers[i]);
  length += snprintf(request + length, capacity - length, "\r\n");
  request_length = (size_t)length;
}

static void open_connection(Connection *connection) {
  int fd = socket(address.ss_family, SOCK_STREAM, 0);
  if (fd < 0) fail("socket: %s", strerror(errno));
  /* A blocking connect: the server is local and must already listen. */
  if (connect(fd, (struct sockaddr *)&address, address_length) != 0) fail("cannot connect to %s:%s: %s", options.host, options.port, strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  struct epoll_event event = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = connection};
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) fail("epoll_ctl: %s", strerror(errno));
  connection->fd = fd;
  connection->busy = 0;
  connection->length = 0;
  connection->written = 0;
}

static void make_idle(Connection *connection) { idle[idle_count++] = (int)(connection - connections); }

static void remove_idle(Connection *connection) {
  for (int i = 0; i < idle_count; i++)
    if (idle[i] == connection - connections) {
      idle[i] = idle[--idle_count];
      return;
    }
}

static int measured(uint64_t due) { return due >= measure_from && due < measure_until; }

/* Writes what is left of the request; the rest goes when the socket is writable again. */
static int write_request(Connection *connection) {
  while (connection->written < request_length) {
    ssize_t n = write(connection->fd, request + connection->written, request_length - connection->written);
    if (n > 0) connection->written += (size_t)n;
    else if (n < 0 && errno == EAGAIN) return 0;
    else if (n < 0 && errno == EINTR) continue;
    else return -1;
  }
  return 0;
}

static void reopen(Connection *connection, int lost);

static void send_on(Connection *connection, uint64_t due, uint64_t now) {
  connection->busy = 1;
  connection->due_ns = due;
  connection->sent_ns = now;
  connection->written = 0;
  connection->length = 0;
  if (write_request(connection) != 0) reopen(connection, 1);
}

/* A request falls due: on an idle connection now, else in the backlog. */
static void dispatch(uint64_t due, uint64_t now) {
  scheduled++;
  if (idle_count > 0) {
    if (measured(due)) push(&send_lags, now - due);
    send_on(&connections[idle[--idle_count]], due, now);
    return;
  }
  if (backlog_size == backlog_capacity) {
    size_t capacity = backlog_capacity ? backlog_capacity * 2 : 1024;
    uint64_t *grown = malloc(capacity * sizeof(uint64_t));
    if (!grown) fail("out of memory");
    for (size_t i = 0; i < backlog_size; i++) grown[i] = backlog[(backlog_head + i) % backlog_capacity];
    free(backlog);
    backlog = grown;
    backlog_capacity = capacity;
    backlog_head = 0;
  }
  backlog[(backlog_head + backlog_size++) % backlog_capacity] = due;
  if (measured(due) && backlog_size > backlog_max) backlog_max = backlog_size;
}

/* A connection is free: the oldest queued request goes on it, or it waits. */
static void release(Connection *connection, uint64_t now) {
  connection->busy = 0;
  if (backlog_size > 0) {
    uint64_t due = backlog[backlog_head];
    backlog_head = (backlog_head + 1) % backlog_capacity;
    backlog_size--;
    send_on(connection, due, now);
  } else make_idle(connection);
}

static void reopen(Connection *connection, int lost) {
  if (lost && connection->busy && measured(connection->due_ns)) errors++;
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, connection->fd, NULL);
  close(connection->fd);
  reconnects++;
  open_connection(connection);
  release(connection, now_ns());
}

/* `needle` in [from, to): glibc's memmem over a range. */
static const char *find(const char *from, const char *to, const char *needle) {
  return to > from ? memmem(from, (size_t)(to - from), needle, strlen(needle)) : NULL;
}

/*
 * The length of a complete answer at the start of the buffer; 0 while more bytes are needed,
 * -1 for a malformed answer. *close_after: the server will close (or framing is by close).
 */
static long answer_length(Connection *connection, int *status, int *close_after, int at_eof) {
  const char *start = connection->buffer, *end = start + connection->length;
  const char *head_end = find(start, end, "\r\n\r\n");
  if (!head_end) return connection->length > 65536 ? -1 : 0;
  if (connection->length < 12 || memcmp(start, "HTTP/1.", 7) != 0) return -1;
  *status = atoi(start + 9);
  long content_length = -1;
  int chunked = 0;
  *close_after = start[7] == '0';
  for (const char *line = find(start, head_end, "\r\n") + 2; line < head_end;) {
    const char *line_end = find(line, head_end + 2, "\r\n");
    if (!strncasecmp(line, "content-length:", 15)) content_length = strtol(line + 15, NULL, 10);
    else if (!strncasecmp(line, "transfer-encoding:", 18)) chunked = find(line, line_end, "chunked") != NULL;
    else if (!strncasecmp(line, "connection:", 11)) {
      if (find(line, line_end, "close")) *close_after = 1;
      else if (find(line, line_end, "keep-alive")) *close_after = 0;
    }
    line = line_end + 2;
  }
  const char *body = head_end + 4;
  if (*status == 204 || *status == 304 || (*status >= 100 && *status < 200)) return body - start;
  if (chunked) {
    const char *p = body;
    for (;;) {
      const char *size_end = find(p, end, "\r\n");
      if (!size_end) return 0;
      char *parsed;
      long size = strtol(p, &parsed, 16);
      if (parsed == p || size < 0) return -1;
      p = size_end + 2;
      if (size == 0) {
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') return p + 2 - start;
        const char *trailers = find(p, end, "\r\n\r\n");
        return trailers ? trailers + 4 - start : 0;
      }
      if (end - p < size + 2) return 0;
      p += size + 2;
    }
  }
  if (content_length >= 0) return (end - body >= content_length) ? body + content_length - start : 0;
  *close_after = 1;
  return at_eof ? (long)connection->length : 0;
}

static void complete(Connection *connection, int status, uint64_t now) {
  if (measured(connection->due_ns)) {
    push(&latencies, now - connection->due_ns);
    push(&services, now - connection->sent_ns);
    if (status >= 400) non2xx++;
  }
}

static void on_readable(Connection *connection, uint64_t now) {
  int at_eof = 0;
  for (;;) {
    if (connection->capacity - connection->length < 16384) {
      connection->capacity = connection->capacity ? connection->capacity * 2 : 32768;
      connection->buffer = realloc(connection->buffer, connection->capacity);
      if (!connection->buffer) fail("out of memory");
    }
    ssize_t n = read(connection->fd, connection->buffer + connection->length, connection->capacity - connection->length);
    if (n > 0) connection->length += (size_t)n;
    else if (n == 0) {
      at_eof = 1;
      break;
    } else if (errno == EAGAIN) break;
    else if (errno == EINTR) continue;
    else {
      reopen(connection, 1);
      return;
    }
    if (connection->length > MAX_ANSWER) {
      reopen(connection, 1);
      return;
    }
  }
  if (!connection->busy) {
    /* Bytes nobody asked for, or the server closing an idle connection. */
    if (at_eof || connection->length > 0) {
      remove_idle(connection);
      reopen(connection, 0);
    }
    return;
  }
  int status = 0, close_after = 0;
  long length = answer_length(connection, &status, &close_after, at_eof);
  if (length < 0 || (length == 0 && at_eof)) {
    reopen(connection, 1);
    return;
  }
  if (length == 0) return;
  complete(connection, status, now);
  if (close_after || at_eof || (size_t)length != connection->length) {
    connection->busy = 0;
    reopen(connection, 0);
    return;
  }
  connection->length = 0;
  release(connection, now);
}

static void arm_timer(uint64_t at) {
  struct itimerspec spec = {.it_value = {.tv_sec = (time_t)(at / 1000000000ull), .tv_nsec = (long)(at % 1000000000ull)}};
  if (timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &spec, NULL) != 0) fail("timerfd_settime: %s", strerror(errno));
}

static int compare(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static double percentile_ms(const Series *series, double p) {
  if (series->count == 0) return 0;
  size_t rank = (size_t)ceil(p / 100.0 * (double)series->count);
  if (rank < 1) rank = 1;
  return (double)series->values[rank - 1] / 1e6;
}

static void print_series(const char *name, Series *series, int last) {
  qsort(series->values, series->count, sizeof(uint64_t), compare);
  double sum = 0;
  for (size_t i = 0; i < series->count; i++) sum += (double)series->values[i];
  printf("\"%s\":{\"p50\":%.4f,\"p90\":%.4f,\"p99\":%.4f,\"p999\":%.4f,\"max\":%.4f,\"mean\":%.4f}%s", name, percentile_ms(series, 50), percentile_ms(series, 90), percentile_ms(series, 99),
         percentile_ms(series, 99.9), percentile_ms(series, 100), series->count ? sum / (double)series->count / 1e6 : 0, last ? "" : ",");
}

int main(int argc, char **argv) {
  parse_arguments(argc, argv);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  epoll_fd = epoll_create1(0);
  timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  if (epoll_fd < 0 || timer_fd < 0) fail("epoll/timerfd: %s", strerror(errno));
  struct epoll_event timer_event = {.events = EPOLLIN, .data.ptr = TIMER_TAG};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, timer_fd, &timer_event);
  connections = calloc((size_t)options.connections, sizeof(Connection));
  idle = calloc((size_t)options.connections, sizeof(int));
  for (int i = 0; i < options.connections; i++) {
    open_connection(&connections[i]);
    make_idle(&connections[i]);
  }

  uint64_t start = now_ns();
  measure_from = start + (uint64_t)(options.warmup * 1e9);
  measure_until = measure_from + (uint64_t)(options.duration * 1e9);
  uint64_t timeout_ns = (uint64_t)(options.timeout * 1e9);
  uint64_t next_due = start, next_timeout_check = start, armed_for = start;
  arm_timer(next_due);
  struct epoll_event events[256];
  for (;;) {
    int count = epoll_wait(epoll_fd, events, 256, 100);
    if (count < 0 && errno != EINTR) fail("epoll_wait: %s", strerror(errno));
    uint64_t now = now_ns();
    for (int i = 0; i < count; i++, now = now_ns()) {
      if (events[i].data.ptr == TIMER_TAG) {
        uint64_t expirations;
        if (read(timer_fd, &expirations, sizeof expirations) < 0) { /* spurious: nothing to read */ }
        continue;
      }
      Connection *connection = events[i].data.ptr;
      if ((events[i].events & EPOLLOUT) && connection->busy && connection->written < request_length && write_request(connection) != 0) reopen(connection, 1);
      else if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(connection, now);
    }
    while (next_due <= now && next_due < measure_until) {
      dispatch(next_due, now);
      next_due += next_gap_ns();
    }
    if (now >= next_timeout_check) {
      next_timeout_check = now + 10000000ull;
      for (int i = 0; i < options.connections; i++) {
        Connection *connection = &connections[i];
        if (connection->busy && now - connection->sent_ns > timeout_ns) {
          if (measured(connection->due_ns)) timeouts++;
          reopen(connection, 0);
        }
      }
    }
    int in_flight = options.connections - idle_count;
    if (next_due >= measure_until) {
      if (in_flight == 0 && backlog_size == 0) break;
      if (now > measure_until + timeout_ns + 1000000000ull) break;
    } else if (next_due != armed_for) {
      arm_timer(next_due);
      armed_for = next_due;
    }
  }

  double seconds = options.duration;
  printf("{\"rate\":%.3f,\"arrivals\":\"%s\",\"connections\":%d,\"warmupSeconds\":%.3f,\"durationSeconds\":%.3f,", options.rate, options.uniform ? "uniform" : "poisson", options.connections, options.warmup,
         seconds);
  printf("\"scheduled\":%llu,\"requests\":%zu,\"requestsPerSecond\":%.3f,\"errors\":%llu,\"non2xx\":%llu,\"timeouts\":%llu,\"reconnects\":%llu,\"backlogMax\":%zu,", (unsigned long long)scheduled,
         latencies.count, (double)latencies.count / seconds, (unsigned long long)errors, (unsigned long long)non2xx, (unsigned long long)timeouts, (unsigned long long)reconnects, backlog_max);
  print_series("latencyMs", &latencies, 0);
  print_series("serviceMs", &services, 0);
  print_series("sendLagMs", &send_lags, 1);
  printf("}\n");
  return 0;
}
