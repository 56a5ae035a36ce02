/* cio/stream.h - byte streams over TCP and Unix sockets, pipes, FIFOs and
 * terminals (asyncio's StreamReader and StreamWriter in one handle).
 *
 *     cio_stream *s;
 *     int rc = cio_open_connection("127.0.0.1", 8888, NULL, &s);
 *     if (rc < 0) return cio_fail(rc);
 *     cio_stream_write(s, "hello\n", 6);          // buffered, never lost
 *     rc = cio_stream_drain(s);                   // backpressure
 *     char line[256];
 *     ssize_t n = cio_stream_readline(s, line, sizeof line);
 *     cio_stream_close(s);
 *     cio_stream_wait_closed(s);
 *     cio_stream_free(s);
 *
 * Ownership: opening a stream gives the caller one handle, released with
 * cio_stream_free(). Until then the handle stays valid, also after
 * cio_stream_close() (calls then return -CIO_ECLOSED). Data written before a
 * graceful close is sent before the socket closes, in the background if need
 * be: the stream's memory lives until that is done, even after free.
 *
 * Concurrency: a stream has one reader at a time. While a task is inside a
 * read call (read, read_all, readexactly, readuntil, readline,
 * readline_alloc), any other read call gets -EBUSY, even one that could be
 * served at once from what is buffered; other tasks may write, drain and
 * close meanwhile.
 *
 * Threads: every function is for the thread that runs the stream's loop (or,
 * while no thread runs it, the thread that made the stream). From any other
 * thread a call is refused: -EPERM, the bool and size accessors false / 0,
 * cio_stream_free nothing, each with a one-line report on stderr. The
 * suspending ones must be called inside a task (else -EPERM).
 *
 * Stale handles: NULL gives -EINVAL. After cio_stream_free the handle is
 * stale: passing it gives -EINVAL (false / 0, free: nothing) and a one-line
 * report. The memory of the last 64 freed streams is kept, poisoned, so this
 * holds for a handle used soon after its free (a second free included);
 * beyond that a stale handle is undefined behaviour, as for any freed memory.
 *
 * Every suspending call is cancellable and honours timeout scopes
 * (-ECANCELED, -ETIMEDOUT) without losing buffered data. */
#ifndef CIO_STREAM_H
#define CIO_STREAM_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "task.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cio_stream cio_stream;

/* asyncio's default reader limit: readline/readuntil give up (-CIO_ELIMIT)
 * when no separator shows within this many bytes. */
#define CIO_STREAM_LIMIT (64u * 1024u)

/* asyncio's default write buffer high-water mark; the low mark is high / 4. */
#define CIO_STREAM_HIGH_WATER (64u * 1024u)

/* Options for opening streams; zero-initialise and set what you need. */
typedef struct cio_connect_options {
    /* Seconds the whole open may take (name lookup and connect); 0: no limit.
     * Past it: -ETIMEDOUT. */
    double timeout;
    /* Happy eyeballs (RFC 8305, asyncio's happy_eyeballs_delay): when a host
     * has several addresses, start connecting to the next one if the current
     * attempt has not succeeded after this many seconds, keeping the earlier
     * attempts going; the first to connect wins. Addresses are interleaved by
     * family (IPv6, IPv4, IPv6...) in resolver order. 0: 0.25 s (RFC 8305's
     * recommendation); negative: try one address at a time. */
    double happy_eyeballs_delay;
    int family; /* AF_UNSPEC (0): any; AF_INET or AF_INET6 only */
    /* Bind the socket to this local address before connecting (asyncio's
     * local_addr=(host, port)): a numeric address or a name (resolved as the
     * remote host is), and a port, 0 for any. NULL host and port 0: no bind.
     * Each connection attempt binds to the first local address of its own
     * family that takes it: -EADDRNOTAVAIL when none is of that family,
     * -EADDRINUSE and the like when none binds. TCP only. */
    const char *local_host;
    int local_port;
    size_t limit;   /* reader limit; 0: CIO_STREAM_LIMIT */
    bool keepalive; /* SO_KEEPALIVE */
    bool
        nagle; /* keep Nagle's algorithm: cio, like asyncio, sets TCP_NODELAY unless this is true */
    /* TLS (asyncio's ssl=): a client context from cio_tls_context_new
     * (cio/tls.h), borrowed for the call (the stream keeps what it needs);
     * NULL: plain. The handshake is part of the open, within the context's
     * handshake timeout, and the stream comes back already through it. */
    struct cio_tls_context *tls;
    /* The name to send as SNI and to check the server's certificate against
     * (asyncio's server_hostname); NULL: host (cio_open_connection), none
     * for a Unix socket (then set it, or use an insecure context). */
    const char *server_hostname;
} cio_connect_options;

/* ---- opening ---------------------------------------------------------------------- */

/* Connect to host:port over TCP (asyncio.open_connection). host is a name or
 * a numeric IPv4/IPv6 address; names are resolved without blocking the loop
 * (see cio_getaddrinfo), numeric ones on the spot. opts may be NULL. On
 * success *out holds the new stream (the caller's handle). Returns 0,
 * -ECONNREFUSED, -ENETUNREACH, -EHOSTUNREACH, -ETIMEDOUT, -CIO_ENOTFOUND,
 * -CIO_ERESOLVE, -ECANCELED, -EADDRNOTAVAIL / -EADDRINUSE (opts' local
 * address), -EINVAL (NULL host or out, port or local_port outside
 * 0..65535), -EMFILE, -ENOMEM, -EPERM (outside a task). With several
 * addresses, the error is the last attempt's. With opts->tls also the
 * handshake's: -CIO_ECERTIFICATE, -EPROTO, -ETIMEDOUT, -ENOTSUP (see
 * cio/tls.h; cio_tls_last_error() says why). */
CIO_EXPORT int cio_open_connection(const char *host, int port, const cio_connect_options *opts,
                                   cio_stream **out);

/* Connect to the Unix stream socket at path (asyncio.open_unix_connection).
 * A path starting with '@' names a Linux abstract socket. opts may be NULL
 * (only timeout, limit, tls and server_hostname apply). Returns 0, -ENOENT, -ECONNREFUSED,
 * -ENAMETOOLONG, -ETIMEDOUT, -ECANCELED, -EINVAL, -EMFILE, -ENOMEM, -EPERM. */
CIO_EXPORT int cio_open_unix_connection(const char *path, const cio_connect_options *opts,
                                        cio_stream **out);

/* Make a stream of a connected stream socket fd (asyncio's
 * open_connection(sock=...)): on success the stream owns fd (made
 * non-blocking; closed when the stream closes). limit 0: CIO_STREAM_LIMIT.
 * Returns 0, -EINVAL (fd < 0, NULL out, no loop running), -ENOTSOCK, -ENOMEM;
 * on error fd stays the caller's. Needs a running loop, not a task. */
CIO_EXPORT int cio_stream_from_socket(int fd, size_t limit, cio_stream **out);

/* Make a stream of a pipe, FIFO, terminal or other pollable character device
 * fd (asyncio's connect_read_pipe / connect_write_pipe), or of a stream
 * socket (as cio_stream_from_socket). On success the stream owns fd, made
 * non-blocking - which, for an fd shared with other processes (a terminal,
 * the program's own stdin), they see too, as in asyncio. What the fd was
 * opened for decides what the stream does: a read end (O_RDONLY) only reads
 * (writes give -EBADF), a write end (O_WRONLY) only writes (reads give
 * -EBADF) and sends EOF by closing (cio_stream_write_eof), a read-write
 * device does both but cannot half-close. Writes to a pipe whose reader is
 * gone give -EPIPE, never a SIGPIPE. The address queries give -ENOTSOCK.
 * Returns 0, -EINVAL (fd < 0, NULL out, no running loop, or a regular file or
 * directory: use cio_file_* for those), -EBADF, -ENOMEM; on error fd stays
 * the caller's. Needs a running loop, not a task. */
CIO_EXPORT int cio_stream_from_fd(int fd, size_t limit, cio_stream **out);

/* ---- reading (asyncio's StreamReader) ------------------------------------------- */

/* Read up to n bytes into buf (reader.read(n)): what is buffered, else
 * suspend until at least one byte arrives. Returns the count, 0 at EOF (or n
 * 0), or -ECONNRESET (the peer reset the connection: kept, and returned by
 * every later read, also when a write saw the reset first), -CIO_ECLOSED (the
 * stream was closed, by this or another task), -ECANCELED, -ETIMEDOUT,
 * -EBUSY (another task is inside a read call), -EBADF (a pipe's write end),
 * -EPERM (another thread, or outside a task), -EINVAL (NULL or stale), or
 * another -errno of recv(2) / read(2). Binary: buf is not NUL-terminated. */
CIO_EXPORT ssize_t cio_stream_read(cio_stream *stream, void *buf, size_t n);

/* Read until EOF (reader.read(-1)). On success *data holds everything read,
 * always NUL-terminated (text can be used as a string; binary data may hold
 * NULs of its own), owned by the caller (free()), and *len its length
 * without the NUL. Returns 0, or the errors of cio_stream_read and -ENOMEM;
 * on error *data and *len are not written and what was read is dropped. */
CIO_EXPORT int cio_stream_read_all(cio_stream *stream, char **data, size_t *len);

/* Read exactly n bytes into buf (reader.readexactly). Returns 0, or
 * -CIO_EINCOMPLETE if EOF came first (asyncio's IncompleteReadError: buf
 * holds the partial bytes), or the errors of cio_stream_read. *got (may be
 * NULL) gets the bytes placed in buf, also on error. buf is not
 * NUL-terminated (it is binary data). */
CIO_EXPORT int cio_stream_readexactly(cio_stream *stream, void *buf, size_t n, size_t *got);

/* Read up to and including the next separator sep[0..seplen) into buf
 * (reader.readuntil), NUL-terminated: a line of at most cap - 1 bytes fits.
 * Returns the line's length with the separator and without the NUL, or:
 *  -CIO_ELIMIT: more than the reader limit came before a separator, or the
 *     line and its NUL do not fit in cap (asyncio's LimitOverrunError).
 *     Nothing is consumed: the data stays readable (cio_stream_read).
 *  -CIO_EINCOMPLETE: EOF came before a separator. The partial line stays
 *     readable with cio_stream_read.
 *  the errors of cio_stream_read; -EINVAL for seplen 0, NULL arguments or
 *  cap 0.
 * The count tells the length: a line may hold NULs of its own. */
CIO_EXPORT ssize_t cio_stream_readuntil(cio_stream *stream, const void *sep, size_t seplen,
                                        char *buf, size_t cap);

/* As cio_stream_readuntil, with several separators (reader.readuntil with a
 * tuple, Python 3.13): the line ends with the separator occurrence that ends
 * first in the data (of two ending at the same byte, the shorter), and
 * *which (may be NULL) gets its index in seps. seps[i] are byte strings
 * (iov_base, iov_len), borrowed for the call. The limit rule applies to
 * where that separator starts. Returns as cio_stream_readuntil, and -EINVAL
 * for nseps 0 or an empty (or NULL) separator; *which is written only on
 * success. */
CIO_EXPORT ssize_t cio_stream_readuntil_any(cio_stream *stream, const struct iovec *seps,
                                            size_t nseps, char *buf, size_t cap, size_t *which);

/* Read a line ending in '\n' into buf (reader.readline), NUL-terminated as
 * cio_stream_readuntil: at most cap - 1 bytes. At EOF returns what is left
 * (maybe a line without '\n'), then 0 (buf then holds ""). Errors as
 * cio_stream_readuntil, except that EOF is not an error; unlike asyncio's
 * readline (which drops the data and raises ValueError), -CIO_ELIMIT leaves
 * the data readable, as readuntil does. */
CIO_EXPORT ssize_t cio_stream_readline(cio_stream *stream, char *buf, size_t cap);

/* Read a line ending in '\n' into new memory (reader.readline, with no
 * buffer to size): on success *line holds it, NUL-terminated, owned by the
 * caller (free()), and *len its length with the '\n' and without the NUL.
 * At EOF it is what is left (maybe a line without '\n'), then *line is NULL
 * and *len 0. The stream's reader limit bounds a line: no '\n' within the
 * limit is -CIO_ELIMIT, the data staying readable. Returns 0, -CIO_ELIMIT,
 * -ENOMEM (the line stays buffered), or the errors of cio_stream_read; on
 * error *line and *len are not written. */
CIO_EXPORT int cio_stream_readline_alloc(cio_stream *stream, char **line, size_t *len);

/* reader.at_eof(): true when nothing is left buffered and the peer's EOF
 * has arrived - seen by a read, or, on a socket or a pipe's read end, found
 * without consuming anything (a peek, a zero-timeout poll), so it is true
 * right after the last line is read. A TLS stream answers only after a read
 * met the EOF. False for NULL or a stale handle. Loop thread. */
CIO_EXPORT bool cio_stream_at_eof(const cio_stream *stream);

/* ---- writing (asyncio's StreamWriter) ---------------------------------------------
 *
 * Writes never suspend and are never lost: what the socket takes now is sent
 * at once, the rest is kept in the stream's write buffer and sent as the
 * socket drains, by a background task. cio_stream_drain() is the
 * backpressure: it suspends while the buffer is above its high-water mark. */

/* Write len bytes of buf (writer.write). Returns 0, or -EPIPE / -ECONNRESET
 * (an earlier send failed: the connection is broken; the error is kept and
 * returned by every later write and drain), -CIO_ECLOSED (closed, or
 * write_eof called), -EBADF (a pipe's read end), -EINVAL, -ENOMEM. */
CIO_EXPORT int cio_stream_write(cio_stream *stream, const void *buf, size_t len);

/* Write iovcnt buffers in order, as one writev (writer.writelines). Errors
 * as cio_stream_write. */
CIO_EXPORT int cio_stream_writev(cio_stream *stream, const struct iovec *iov, int iovcnt);

/* ---- sending a file (asyncio's loop.sendfile / sock_sendfile) ------------------------ */

/* How a file is sent. A zeroed struct (or NULL) is the default: sendfile(2),
 * falling back to a read/write copy where the kernel refuses it. */
typedef struct cio_sendfile_options {
    bool no_fallback; /* asyncio's fallback=False: -ENOTSUP instead of copying */
    bool copy;        /* always the read/write copy (tests, comparisons) */
} cio_sendfile_options;

/* Send count bytes of file_fd from offset (count 0: up to the file's end)
 * to the stream, after whatever earlier writes left buffered (asyncio's
 * loop.sendfile(transport, file, offset, count)); suspends until it is all
 * handed to the kernel. Uses sendfile(2), so file pages go to the socket
 * without a copy through user memory; a TLS stream, or a file the kernel
 * refuses (EINVAL/ENOSYS/ESPIPE: a pipe, some filesystems), is sent by reading
 * 64 KiB chunks with pread and writing them. A file shorter than
 * offset + count ends it early: that is no error. The file's position is
 * neither used nor moved (unlike asyncio's: pread's convention); file_fd is
 * borrowed. While it runs, writes to the stream get -EBUSY; closing the
 * stream ends it with -CIO_ECLOSED.
 * *sent (may be NULL) gets the bytes sent, on error too. Returns 0, or
 * -EINVAL (offset < 0; copy with no_fallback), -EOVERFLOW (offset + count
 * past 2^63), -EBADF (file_fd not open or not readable; a pipe's read end),
 * -ENOTSUP (no_fallback, and sendfile(2) cannot serve), -ESPIPE (offset > 0
 * on a file that cannot seek: a pipe), -CIO_ECLOSED,
 * -EPIPE / -ECONNRESET (the connection broke), -EBUSY (another sendfile,
 * or start_tls, is running), -ECANCELED, -ETIMEDOUT, -EPERM (outside a
 * task), -ENOMEM, or another -errno of sendfile(2) or pread(2).
 * Inside a task, on the stream's loop's thread. */
CIO_EXPORT int cio_stream_sendfile_ex(cio_stream *stream, int file_fd, off_t offset, size_t count,
                                      const cio_sendfile_options *opts, size_t *sent);

/* cio_stream_sendfile_ex with the default options. */
CIO_EXPORT int cio_stream_sendfile(cio_stream *stream, int file_fd, off_t offset, size_t count,
                                   size_t *sent);

/* Wait until the write buffer is at or below the low-water mark, if it is
 * above the high-water mark (writer.drain()). Returns 0, the connection's
 * error (-EPIPE, -ECONNRESET...), -CIO_ECLOSED (aborted, or closed before
 * the call), -ECANCELED, -ETIMEDOUT (the data stays buffered and will be
 * sent), -EPERM, -EINVAL. */
CIO_EXPORT int cio_stream_drain(cio_stream *stream);

/* Set the write buffer's marks (transport.set_write_buffer_limits), with
 * asyncio's defaults: high 0 means 4 * low if low is given, else
 * CIO_STREAM_HIGH_WATER; low 0 means high / 4. Returns 0, or -EINVAL (low >
 * high, NULL). */
CIO_EXPORT int cio_stream_set_write_buffer_limits(cio_stream *stream, size_t high, size_t low);

/* Bytes waiting in the write buffer (transport.get_write_buffer_size()). */
CIO_EXPORT size_t cio_stream_write_buffer_size(const cio_stream *stream);

/* Half-close (writer.write_eof): once the buffered data is sent, shut down
 * the sending side so the peer reads EOF; reading goes on. Later writes get
 * -CIO_ECLOSED. A pipe's write end closes instead (it has no reading side).
 * Returns 0, -CIO_ECLOSED, the connection's error, -ENOTSUP (a read-write
 * device, which cannot half-close), -EBADF (a read end), -EINVAL. */
CIO_EXPORT int cio_stream_write_eof(cio_stream *stream);

/* True for sockets and pipe write ends, which can send EOF
 * (writer.can_write_eof()); false for other streams and invalid handles. */
CIO_EXPORT bool cio_stream_can_write_eof(const cio_stream *stream);

/* ---- closing ------------------------------------------------------------------- */

/* Close gracefully (writer.close()): reading and writing end now (a task
 * waiting to read wakes with -CIO_ECLOSED); buffered data is still sent,
 * then the socket is closed. Does not suspend. Returns 0, -CIO_ECLOSED if
 * already closed, -EINVAL. */
CIO_EXPORT int cio_stream_close(cio_stream *stream);

/* Close at once, dropping buffered data (transport.abort()). Waiters wake
 * with -CIO_ECLOSED. Returns 0, -CIO_ECLOSED if the socket is already
 * closed, -EINVAL. */
CIO_EXPORT int cio_stream_abort(cio_stream *stream);

/* True once close, abort or write_eof was called (writer.is_closing()). */
CIO_EXPORT bool cio_stream_is_closing(const cio_stream *stream);

/* Suspend until the socket is closed: after close, once the buffered data is
 * sent (writer.wait_closed()). Returns 0, -ECANCELED, -ETIMEDOUT, -EPERM,
 * -EINVAL. */
CIO_EXPORT int cio_stream_wait_closed(cio_stream *stream);

/* Release the caller's handle: closes gracefully first if still open.
 * NULL is a no-op. The handle is stale afterwards (see "Stale handles"
 * above: a second free is reported and does nothing). Does not suspend.
 * Streams owned by something else are refused with a message on stderr: a
 * process's pipes (cio_process_free() frees them) and a server's connection
 * given to a handler (the server frees it when the handler returns). */
CIO_EXPORT void cio_stream_free(cio_stream *stream);

/* ---- information (transport.get_extra_info) ------------------------------------ */

/* The peer's / the local address, as getpeername(2) / getsockname(2):
 * *addrlen is the room in addr on entry, the address's length on return.
 * Returns 0, -CIO_ECLOSED, -EINVAL, -ENOTCONN or another -errno. */
CIO_EXPORT int cio_stream_peername(const cio_stream *stream, struct sockaddr *addr,
                                   socklen_t *addrlen);
CIO_EXPORT int cio_stream_sockname(const cio_stream *stream, struct sockaddr *addr,
                                   socklen_t *addrlen);

/* The stream's socket (borrowed, for setsockopt and the like; do not read,
 * write or close it), or -CIO_ECLOSED / -EINVAL. */
CIO_EXPORT int cio_stream_fd(const cio_stream *stream);

#ifdef __cplusplus
}
#endif
#endif
