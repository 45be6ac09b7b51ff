/* altitude_fltlib.c: the C FltLib of Altitude (see altitude_fltlib.h). The wire: docs/port-protocol.md (frames,
 * version 4) and docs/control-endpoint.md (management requests). One reader at a time per connection: a caller
 * waiting for its answer reads records and leaves the ones for other tags in a stash for their callers. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "altitude_fltlib.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { K_HELLO = 1, K_HELLO_RESULT = 2, K_GET = 3, K_MESSAGE = 4, K_GET_RESULT = 6, K_REPLY = 7, K_REPLY_RESULT = 8,
       K_SEND = 9, K_SEND_RESULT = 10, K_ERROR = 12 };
enum { PROTOCOL_VERSION = 4, HEADER_SIZE = 32, MAX_PAYLOAD = 65536, RECORD_SIZE = HEADER_SIZE + MAX_PAYLOAD + 1 };
enum { FLAG_NO_WITHDRAWN = 1, FLAG_HAS_HANDLE = 2 };
#define HRESULT_TOO_MANY_OPEN_FILES ((HRESULT)0x80070004)
#define E_FAIL ((HRESULT)0x80004005)

struct frame {
    struct frame *next;
    uint8_t kind;
    uint16_t flags;
    uint32_t tag, value, handle_offset, length;
    uint64_t message_id;
    int32_t status, hresult;
    int fd;                 /* the SCM_RIGHTS descriptor of a HasHandle SendResult; -1 none; -2 one was due and is unusable */
    HRESULT fd_error;
    uint8_t payload[];
};

struct pending_reply { uint64_t id; uint32_t reply_length; int no_withdrawn; };

struct altitude_port {
    int fd;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int reading, broken;
    HRESULT broken_hr;
    uint32_t next_tag;
    struct frame *stash;
    struct pending_reply *replies;
    size_t reply_count, reply_capacity;
    uint32_t find_id;       /* a FilterFindFirst handle: the enumeration's id */
};

/* ---- little-endian fields ------------------------------------------------------------------------------------ */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }

static void header(uint8_t *h, uint8_t kind, uint32_t tag, uint64_t id, uint32_t value, int32_t status)
{
    memset(h, 0, HEADER_SIZE);
    h[0] = kind;
    h[1] = PROTOCOL_VERSION;
    put32(h + 4, tag);
    put64(h + 8, id);
    put32(h + 16, value);
    put32(h + 20, (uint32_t)status);
}

/* ---- one connection ------------------------------------------------------------------------------------------ */

static HRESULT errno_hresult(int e)
{
    switch (e) {
    case EACCES: case EPERM: return E_ACCESSDENIED;
    case ENOENT: case ECONNREFUSED: return HRESULT_FILE_NOT_FOUND;
    case ENOMEM: return E_OUTOFMEMORY;
    case EPIPE: case ECONNRESET: case ENOTCONN: return E_HANDLE;
    default: return E_FAIL;
    }
}

static HRESULT send_record(struct altitude_port *p, const uint8_t *record, size_t length)
{
    ssize_t n = send(p->fd, record, length, MSG_NOSIGNAL);
    return n == (ssize_t)length ? S_OK : E_HANDLE;
}

/* Reads one record (blocking). NULL at EOF or on a broken connection, with *hr set. */
static struct frame *read_record(struct altitude_port *p, HRESULT *hr)
{
    uint8_t *buffer = malloc(RECORD_SIZE);
    if (!buffer) { *hr = E_OUTOFMEMORY; return NULL; }
    for (;;) {
        union { struct cmsghdr align; char space[CMSG_SPACE(4 * sizeof(int))]; } control;
        struct iovec iov = { buffer, RECORD_SIZE };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof control.space };
        ssize_t n = recvmsg(p->fd, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0 && (errno == EINTR || errno == ECONNRESET)) continue;   /* ECONNRESET comes once, before the records still queued */
        if (n <= 0) { free(buffer); *hr = E_HANDLE; return NULL; }
        int fds[4], nfds = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                for (size_t i = 0; i * sizeof(int) + CMSG_LEN(0) < c->cmsg_len; i++) {
                    int fd;
                    memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                    if (nfds < 4) fds[nfds++] = fd; else close(fd);
                }
        if (n < HEADER_SIZE || n > HEADER_SIZE + MAX_PAYLOAD || buffer[1] != PROTOCOL_VERSION) {
            for (int i = 0; i < nfds; i++) close(fds[i]);
            free(buffer);
            *hr = E_HANDLE;   /* not a frame of this protocol: the connection cannot be trusted any more */
            return NULL;
        }
        struct frame *f = malloc(sizeof *f + (size_t)(n - HEADER_SIZE));
        if (!f) { for (int i = 0; i < nfds; i++) close(fds[i]); free(buffer); *hr = E_OUTOFMEMORY; return NULL; }
        f->next = NULL;
        f->kind = buffer[0];
        f->flags = get16(buffer + 2);
        f->tag = get32(buffer + 4);
        f->message_id = get64(buffer + 8);
        f->value = get32(buffer + 16);
        f->status = (int32_t)get32(buffer + 20);
        f->hresult = (int32_t)get32(buffer + 24);
        f->handle_offset = get32(buffer + 28);
        f->length = (uint32_t)(n - HEADER_SIZE);
        memcpy(f->payload, buffer + HEADER_SIZE, f->length);
        f->fd = -1;
        f->fd_error = S_OK;
        if (f->kind == K_SEND_RESULT && (f->flags & FLAG_HAS_HANDLE)) {
            if (nfds == 1 && (uint64_t)f->handle_offset + 8 <= f->value) f->fd = fds[0], nfds = 0;
            else { f->fd = -2; f->fd_error = nfds == 0 ? HRESULT_TOO_MANY_OPEN_FILES : E_HANDLE; }
        }
        for (int i = 0; i < nfds; i++) close(fds[i]);   /* a descriptor with any other frame is not ours to keep */
        free(buffer);
        return f;
    }
}

/* Waits for the answer to request `tag` (0: the hello's). NULL when the connection ended, with *hr set. */
static struct frame *wait_for(struct altitude_port *p, uint32_t tag, HRESULT *hr)
{
    pthread_mutex_lock(&p->lock);
    for (;;) {
        for (struct frame **at = &p->stash; *at; at = &(*at)->next)
            if ((*at)->tag == tag) {
                struct frame *f = *at;
                *at = f->next;
                pthread_mutex_unlock(&p->lock);
                return f;
            }
        if (p->broken) { *hr = p->broken_hr; pthread_mutex_unlock(&p->lock); return NULL; }
        if (p->reading) { pthread_cond_wait(&p->cond, &p->lock); continue; }
        p->reading = 1;
        pthread_mutex_unlock(&p->lock);
        HRESULT read_hr = S_OK;
        struct frame *f = read_record(p, &read_hr);
        pthread_mutex_lock(&p->lock);
        p->reading = 0;
        if (!f) { p->broken = 1; p->broken_hr = read_hr; }
        else if (f->kind == K_ERROR) {
            p->broken = 1;   /* the server closes right after an Error frame */
            p->broken_hr = f->hresult ? f->hresult : E_HANDLE;
            free(f);
        } else { f->next = p->stash; p->stash = f; }
        pthread_cond_broadcast(&p->cond);
    }
}

static uint32_t new_tag(struct altitude_port *p)
{
    pthread_mutex_lock(&p->lock);
    if (++p->next_tag == 0) p->next_tag = 1;
    uint32_t tag = p->next_tag;
    pthread_mutex_unlock(&p->lock);
    return tag;
}

static HRESULT open_socket(const char *path, const void *context, uint16_t context_size, HANDLE *out)
{
    *out = NULL;
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof address.sun_path) return E_INVALIDARG;
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno_hresult(errno);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) { HRESULT hr = errno_hresult(errno); close(fd); return hr; }
    struct altitude_port *p = calloc(1, sizeof *p);
    if (!p) { close(fd); return E_OUTOFMEMORY; }
    p->fd = fd;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    uint8_t *hello = malloc(HEADER_SIZE + (size_t)context_size);
    if (!hello) { FilterClose(p); return E_OUTOFMEMORY; }
    header(hello, K_HELLO, 0, 0, context_size, 0);
    if (context_size) memcpy(hello + HEADER_SIZE, context, context_size);
    HRESULT hr = send_record(p, hello, HEADER_SIZE + (size_t)context_size);
    free(hello);
    struct frame *f = SUCCEEDED(hr) ? wait_for(p, 0, &hr) : NULL;
    if (f) {
        hr = f->kind == K_HELLO_RESULT ? f->hresult : E_HANDLE;
        if (f->kind == K_HELLO_RESULT && f->status < 0 && hr == 0) hr = E_FAIL;
        free(f);
    }
    if (FAILED(hr)) { FilterClose(p); return hr; }
    *out = p;
    return S_OK;
}

/* ---- ports --------------------------------------------------------------------------------------------------- */

/* The socket of a port name (docs/port-protocol.md section 1): one leading '\' dropped, lower-cased, a-z 0-9 . _ -
 * kept, every other byte %XX. Only ASCII letters are lower-cased here: give names with other letters in lower case. */
static HRESULT port_path(const char *name, const char *directory, char *path, size_t size)
{
    if (!name) return E_INVALIDARG;
    if (name[0] == '\\') name++;
    if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..") || strlen(name) > 255) return E_INVALIDARG;
    if (!directory || !directory[0]) directory = getenv("ALTITUDE_PORT_DIRECTORY");
    if (!directory || !directory[0]) directory = "/run/altitude/ports";
    size_t at = (size_t)snprintf(path, size, "%s/", directory);
    for (const unsigned char *c = (const unsigned char *)name; *c && at + 4 < size; c++) {
        unsigned char ch = (*c >= 'A' && *c <= 'Z') ? (unsigned char)(*c + 32) : *c;
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-') path[at++] = (char)ch;
        else at += (size_t)snprintf(path + at, size - at, "%%%02X", ch);
    }
    if (at + 4 >= size) return E_INVALIDARG;
    path[at] = 0;
    return at < 108 ? S_OK : E_INVALIDARG;
}

HRESULT FilterConnectCommunicationPort(const char *portName, uint32_t options, const void *context, uint16_t sizeOfContext,
                                       const char *portDirectory, HANDLE *port)
{
    (void)options;
    if (!port || (sizeOfContext && !context)) return E_INVALIDARG;
    char path[512];
    HRESULT hr = port_path(portName, portDirectory, path, sizeof path);
    return FAILED(hr) ? hr : open_socket(path, context, sizeOfContext, port);
}

HRESULT FilterSendMessage(HANDLE p, const void *inBuffer, uint32_t inBufferSize, void *outBuffer, uint32_t outBufferSize,
                          uint32_t *bytesReturned)
{
    if (!p || inBufferSize > MAX_PAYLOAD || (inBufferSize && !inBuffer) || (outBufferSize && !outBuffer)) return E_INVALIDARG;
    if (bytesReturned) *bytesReturned = 0;
    uint32_t tag = new_tag(p);
    uint8_t *record = malloc(HEADER_SIZE + (size_t)inBufferSize);
    if (!record) return E_OUTOFMEMORY;
    header(record, K_SEND, tag, 0, outBufferSize > MAX_PAYLOAD ? MAX_PAYLOAD : outBufferSize, 0);
    if (inBufferSize) memcpy(record + HEADER_SIZE, inBuffer, inBufferSize);
    HRESULT hr = send_record(p, record, HEADER_SIZE + (size_t)inBufferSize);
    free(record);
    if (FAILED(hr)) return hr;
    struct frame *f = wait_for(p, tag, &hr);
    if (!f) return hr;
    hr = f->kind == K_SEND_RESULT ? f->hresult : E_HANDLE;
    uint32_t n = f->length < outBufferSize ? f->length : outBufferSize;
    if (SUCCEEDED(hr) && n) memcpy(outBuffer, f->payload, n);
    if (SUCCEEDED(hr) && bytesReturned) *bytesReturned = n;
    if (f->fd != -1) {
        /* A data-scan section: its descriptor is the HANDLE at HandleOffset; the caller owns it. */
        int64_t handle = f->fd >= 0 && SUCCEEDED(hr) ? f->fd : -1;
        if (f->handle_offset + 8 <= n) for (int i = 0; i < 8; i++) ((uint8_t *)outBuffer)[f->handle_offset + i] = (uint8_t)((uint64_t)handle >> (8 * i));
        else if (f->fd >= 0) { close(f->fd); handle = -1; }
        if (handle < 0 && f->fd >= 0) close(f->fd);
        if (handle < 0 && SUCCEEDED(hr)) hr = f->fd_error ? f->fd_error : E_HANDLE;
    }
    free(f);
    return hr;
}

HRESULT FilterGetMessage(HANDLE p, FILTER_MESSAGE_HEADER *messageBuffer, uint32_t messageBufferSize)
{
    if (!p || !messageBuffer || messageBufferSize < sizeof(FILTER_MESSAGE_HEADER)) return E_INVALIDARG;
    uint32_t tag = new_tag(p);
    uint8_t get[HEADER_SIZE];
    header(get, K_GET, tag, 0, messageBufferSize, 0);
    HRESULT hr = send_record(p, get, sizeof get);
    if (FAILED(hr)) return hr;
    struct frame *f = wait_for(p, tag, &hr);
    if (!f) return hr;
    if (f->kind == K_GET_RESULT) { hr = f->hresult ? f->hresult : E_FAIL; free(f); return hr; }
    if (f->kind != K_MESSAGE || f->length > messageBufferSize - sizeof(FILTER_MESSAGE_HEADER)) { free(f); return E_HANDLE; }
    messageBuffer->ReplyLength = f->value;
    messageBuffer->Reserved = 0;
    messageBuffer->MessageId = f->message_id;
    memcpy(messageBuffer + 1, f->payload, f->length);
    if (f->value > 0) {
        /* Remembered until replied: a reply to anything else fails here, as FilterLib's does. */
        pthread_mutex_lock(&p->lock);
        if (p->reply_count == p->reply_capacity) {
            size_t capacity = p->reply_capacity ? 2 * p->reply_capacity : 16;
            struct pending_reply *grown = realloc(p->replies, capacity * sizeof *grown);
            if (grown) { p->replies = grown; p->reply_capacity = capacity; }
        }
        if (p->reply_count < p->reply_capacity)
            p->replies[p->reply_count++] = (struct pending_reply){ f->message_id, f->value, (f->flags & FLAG_NO_WITHDRAWN) != 0 };
        pthread_mutex_unlock(&p->lock);
    }
    free(f);
    return S_OK;
}

HRESULT FilterReplyMessage(HANDLE p, const FILTER_REPLY_HEADER *replyBuffer, uint32_t replyBufferSize)
{
    if (!p || !replyBuffer || replyBufferSize < sizeof(FILTER_REPLY_HEADER) || replyBufferSize - sizeof(FILTER_REPLY_HEADER) > MAX_PAYLOAD) return E_INVALIDARG;
    struct pending_reply pending = { 0 };
    int found = 0;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->reply_count; i++)
        if (p->replies[i].id == replyBuffer->MessageId) {
            pending = p->replies[i];
            p->replies[i] = p->replies[--p->reply_count];
            found = 1;
            break;
        }
    pthread_mutex_unlock(&p->lock);
    if (!found) return HRESULT_FLT_NO_WAITER_FOR_REPLY;
    uint32_t length = replyBufferSize - (uint32_t)sizeof(FILTER_REPLY_HEADER);
    /* A sender that cannot give up (NoWithdrawn) needs no answer: tag 0, and the outcome is known here. */
    uint32_t tag = pending.no_withdrawn ? 0 : new_tag(p);
    uint8_t *record = malloc(HEADER_SIZE + (size_t)length);
    if (!record) return E_OUTOFMEMORY;
    header(record, K_REPLY, tag, pending.id, length, replyBuffer->Status);
    memcpy(record + HEADER_SIZE, replyBuffer + 1, length);
    HRESULT hr = send_record(p, record, HEADER_SIZE + (size_t)length);
    free(record);
    if (FAILED(hr)) return hr;
    if (pending.no_withdrawn) return length > pending.reply_length - sizeof(FILTER_REPLY_HEADER) ? HRESULT_MORE_DATA : S_OK;
    struct frame *f = wait_for(p, tag, &hr);
    if (!f) return hr;
    hr = f->kind == K_REPLY_RESULT ? f->hresult : E_HANDLE;
    free(f);
    return hr;
}

HRESULT FilterClose(HANDLE p)
{
    if (!p) return E_HANDLE;
    close(p->fd);
    for (struct frame *f = p->stash, *next; f; f = next) {
        next = f->next;
        if (f->fd >= 0) close(f->fd);
        free(f);
    }
    free(p->replies);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(p);
    return S_OK;
}

/* ---- management ---------------------------------------------------------------------------------------------- */

enum { OP_LOAD = 1, OP_UNLOAD = 2, OP_ATTACH = 7, OP_ATTACH_AT_ALTITUDE = 8, OP_DETACH = 9, OP_FIND_FIRST = 10,
       OP_FIND_NEXT = 11, OP_FIND_CLOSE = 12 };

struct request { uint8_t bytes[8192]; size_t length; int overflow; };

static void request_begin(struct request *r, uint32_t op, uint32_t information_class, uint32_t argument)
{
    put32(r->bytes, op);
    put32(r->bytes + 4, information_class);
    put32(r->bytes + 8, argument);
    r->length = 12;
    r->overflow = 0;
}

/* A string: u16 byte length, then UTF-16LE; NULL is "absent" (0xFFFF). */
static void request_string(struct request *r, const char *utf8)
{
    size_t length_at = r->length;
    if (r->length + 2 > sizeof r->bytes) { r->overflow = 1; return; }
    r->length += 2;
    if (!utf8) { put16(r->bytes + length_at, 0xFFFF); return; }
    const unsigned char *s = (const unsigned char *)utf8;
    while (*s) {
        uint32_t cp;
        int extra = *s >= 0xF0 ? 3 : *s >= 0xE0 ? 2 : *s >= 0xC0 ? 1 : 0;
        cp = extra == 0 ? *s : *s & (0x3F >> extra);
        s++;
        for (int i = 0; i < extra && (*s & 0xC0) == 0x80; i++, s++) cp = cp << 6 | (*s & 0x3F);
        if (r->length + 4 > sizeof r->bytes) { r->overflow = 1; return; }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            put16(r->bytes + r->length, (uint16_t)(0xD800 | cp >> 10));
            put16(r->bytes + r->length + 2, (uint16_t)(0xDC00 | (cp & 0x3FF)));
            r->length += 4;
        } else { put16(r->bytes + r->length, (uint16_t)cp); r->length += 2; }
    }
    put16(r->bytes + length_at, (uint16_t)(r->length - length_at - 2));
}

/* One request on `p`; the reply's data goes to `data` (its HRESULT is the call's). */
static HRESULT control_call(HANDLE p, const struct request *r, uint32_t *value, uint8_t *data, uint32_t data_size, uint32_t *data_length)
{
    if (r->overflow) return E_INVALIDARG;
    uint8_t *out = malloc(MAX_PAYLOAD);
    if (!out) return E_OUTOFMEMORY;
    uint32_t returned = 0;
    HRESULT hr = FilterSendMessage(p, r->bytes, (uint32_t)r->length, out, MAX_PAYLOAD, &returned);
    if (SUCCEEDED(hr) && returned < 8) hr = E_HANDLE;
    if (SUCCEEDED(hr)) {
        hr = (HRESULT)get32(out);
        if (value) *value = get32(out + 4);
        uint32_t n = returned - 8 < data_size ? returned - 8 : data_size;
        if (SUCCEEDED(hr) && data && n) memcpy(data, out + 8, n);
        if (data_length) *data_length = SUCCEEDED(hr) ? returned - 8 : 0;
    }
    free(out);
    return hr;
}

static HRESULT control_open(const char *socket_path, HANDLE *p)
{
    if (!socket_path || !socket_path[0]) socket_path = getenv("ALTITUDE_CONTROL_SOCKET");
    if (!socket_path || !socket_path[0]) socket_path = "/run/altitude/control";
    return open_socket(socket_path, NULL, 0, p);
}

/* One-shot: connect, call, close (as FltLib's routines do on the control endpoint). */
static HRESULT control_once(const char *socket_path, const struct request *r, uint8_t *data, uint32_t data_size, uint32_t *data_length)
{
    HANDLE p;
    HRESULT hr = control_open(socket_path, &p);
    if (FAILED(hr)) return hr;
    hr = control_call(p, r, NULL, data, data_size, data_length);
    FilterClose(p);
    return hr;
}

/* UTF-16LE bytes to NUL-terminated UTF-8 (BMP and surrogate pairs). */
static void utf16_to_utf8(const uint8_t *in, uint32_t in_length, char *out, uint32_t out_size)
{
    uint32_t at = 0;
    if (!out || !out_size) return;
    for (uint32_t i = 0; i + 1 < in_length; i += 2) {
        uint32_t cp = get16(in + i);
        if (cp >= 0xD800 && cp < 0xDC00 && i + 3 < in_length) { cp = 0x10000 + ((cp - 0xD800) << 10) + (get16(in + i + 2) - 0xDC00); i += 2; }
        char b[4];
        int n = cp < 0x80 ? (b[0] = (char)cp, 1)
              : cp < 0x800 ? (b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), 2)
              : cp < 0x10000 ? (b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | (cp >> 6 & 0x3F)), b[2] = (char)(0x80 | (cp & 0x3F)), 3)
              : (b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | (cp >> 12 & 0x3F)), b[2] = (char)(0x80 | (cp >> 6 & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), 4);
        if (at + (uint32_t)n + 1 > out_size) break;
        memcpy(out + at, b, (size_t)n);
        at += (uint32_t)n;
    }
    out[at] = 0;
}

HRESULT FilterLoad(const char *filterName, const char *controlSocket)
{
    if (!filterName) return E_INVALIDARG;
    struct request r;
    request_begin(&r, OP_LOAD, 0, 0);
    request_string(&r, filterName);
    return control_once(controlSocket, &r, NULL, 0, NULL);
}

HRESULT FilterUnload(const char *filterName, const char *controlSocket)
{
    if (!filterName) return E_INVALIDARG;
    struct request r;
    request_begin(&r, OP_UNLOAD, 0, 0);
    request_string(&r, filterName);
    return control_once(controlSocket, &r, NULL, 0, NULL);
}

static HRESULT attach(struct request *r, char *created, uint32_t created_size, const char *controlSocket)
{
    uint8_t name[2048];
    uint32_t length = 0;
    HRESULT hr = control_once(controlSocket, r, name, sizeof name, &length);
    if (SUCCEEDED(hr) && created) utf16_to_utf8(name, length < sizeof name ? length : sizeof name, created, created_size);
    return hr;
}

HRESULT FilterAttach(const char *filterName, const char *volumeName, const char *instanceName, char *createdInstance,
                     uint32_t createdInstanceSize, const char *controlSocket)
{
    if (!filterName || !volumeName) return E_INVALIDARG;
    struct request r;
    request_begin(&r, OP_ATTACH, 0, 0);
    request_string(&r, filterName);
    request_string(&r, volumeName);
    request_string(&r, instanceName);
    return attach(&r, createdInstance, createdInstanceSize, controlSocket);
}

HRESULT FilterAttachAtAltitude(const char *filterName, const char *volumeName, const char *altitude, const char *instanceName,
                               char *createdInstance, uint32_t createdInstanceSize, const char *controlSocket)
{
    if (!filterName || !volumeName || !altitude) return E_INVALIDARG;
    struct request r;
    request_begin(&r, OP_ATTACH_AT_ALTITUDE, 0, 0);
    request_string(&r, filterName);
    request_string(&r, volumeName);
    request_string(&r, altitude);
    request_string(&r, instanceName);
    return attach(&r, createdInstance, createdInstanceSize, controlSocket);
}

HRESULT FilterDetach(const char *filterName, const char *volumeName, const char *instanceName, const char *controlSocket)
{
    if (!filterName || !volumeName) return E_INVALIDARG;
    struct request r;
    request_begin(&r, OP_DETACH, 0, 0);
    request_string(&r, filterName);
    request_string(&r, volumeName);
    request_string(&r, instanceName);
    return control_once(controlSocket, &r, NULL, 0, NULL);
}

HRESULT FilterFindFirst(uint32_t informationClass, void *buffer, uint32_t bufferSize, uint32_t *bytesReturned,
                        HANDLE *filterFind, const char *controlSocket)
{
    if (!filterFind || (bufferSize && !buffer)) return E_INVALIDARG;
    *filterFind = NULL;
    if (bytesReturned) *bytesReturned = 0;
    HANDLE p;
    HRESULT hr = control_open(controlSocket, &p);
    if (FAILED(hr)) return hr;
    struct request r;
    request_begin(&r, OP_FIND_FIRST, informationClass, 1 /* the filters */);
    uint32_t id = 0, length = 0;
    hr = control_call(p, &r, &id, buffer, bufferSize, &length);
    if (hr == HRESULT_INSUFFICIENT_BUFFER && bytesReturned) *bytesReturned = id;   /* Value: the size needed */
    if (FAILED(hr)) { FilterClose(p); return hr; }
    if (length > bufferSize) { FilterClose(p); if (bytesReturned) *bytesReturned = length; return HRESULT_INSUFFICIENT_BUFFER; }
    if (bytesReturned) *bytesReturned = length;
    p->find_id = id;
    *filterFind = p;
    return S_OK;
}

HRESULT FilterFindNext(HANDLE filterFind, uint32_t informationClass, void *buffer, uint32_t bufferSize, uint32_t *bytesReturned)
{
    if (!filterFind || (bufferSize && !buffer)) return E_INVALIDARG;
    if (bytesReturned) *bytesReturned = 0;
    struct request r;
    request_begin(&r, OP_FIND_NEXT, informationClass, filterFind->find_id);
    uint32_t value = 0, length = 0;
    HRESULT hr = control_call(filterFind, &r, &value, buffer, bufferSize, &length);
    if (hr == HRESULT_INSUFFICIENT_BUFFER && bytesReturned) *bytesReturned = value;
    if (FAILED(hr)) return hr;
    if (length > bufferSize) { if (bytesReturned) *bytesReturned = length; return HRESULT_INSUFFICIENT_BUFFER; }
    if (bytesReturned) *bytesReturned = length;
    return S_OK;
}

HRESULT FilterFindClose(HANDLE filterFind)
{
    if (!filterFind) return E_HANDLE;
    struct request r;
    request_begin(&r, OP_FIND_CLOSE, 0, filterFind->find_id);
    control_call(filterFind, &r, NULL, NULL, 0, NULL);
    return FilterClose(filterFind);
}
