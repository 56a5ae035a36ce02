#!/usr/bin/python3
"""Odd HTTP behaviour for cio's HTTP client tests: odd_server.py PORT.

Paths:
  /slow?d=S          answer after S seconds
  /drip?n=N&d=S      send N body bytes, one per S seconds (Content-Length N)
  /chunked           a chunked body of several chunks: "chunk 0\n" ... "chunk 9\n"
  /gzip              a gzip-encoded body: "hello gzip\n" x 100
  /big?n=N&chunked=1 N bytes ('a'..'z' repeated), with Content-Length or chunked
  /redirect/N        302 to /redirect/N-1; /redirect/0 answers "done"
  /loop              302 to itself
  /status/C          status C, body "status C"
  /close             answers with keep-alive framing, then closes the connection
  /echo              (POST/PUT) the request body back, method in X-Method
  /setcookie         sets cookie "session=abc"
  /getcookie         the Cookie header it got (or "none")
"""
import gzip
import http.server
import socketserver
import sys
import time
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, body, headers=()):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        p = url.path
        if p == "/slow":
            time.sleep(float(q.get("d", "1")))
            self.reply(200, b"slow\n")
        elif p == "/drip":
            n, d = int(q.get("n", "10")), float(q.get("d", "0.1"))
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            for _ in range(n):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(d)
        elif p == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(10):
                data = b"chunk %d\n" % i
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        elif p == "/gzip":
            self.reply(200, gzip.compress(b"hello gzip\n" * 100), [("Content-Encoding", "gzip")])
        elif p == "/big":
            n = int(q.get("n", "1000"))
            body = (bytes(range(97, 123)) * (n // 26 + 1))[:n]
            if q.get("chunked"):
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for i in range(0, n, 65536):
                    part = body[i:i + 65536]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.reply(200, body)
        elif p.startswith("/redirect/"):
            n = int(p.rsplit("/", 1)[1])
            if n == 0:
                self.reply(200, b"done\n")
            else:
                self.reply(302, b"", [("Location", "/redirect/%d" % (n - 1))])
        elif p == "/loop":
            self.reply(302, b"", [("Location", "/loop")])
        elif p.startswith("/status/"):
            code = int(p.rsplit("/", 1)[1])
            self.reply(code, b"status %d" % code)
        elif p == "/close":
            self.reply(200, b"closing\n")
            self.wfile.flush()
            self.close_connection = True
        elif p == "/setcookie":
            self.reply(200, b"set\n", [("Set-Cookie", "session=abc; Path=/")])
        elif p == "/getcookie":
            self.reply(200, (self.headers.get("Cookie") or "none").encode())
        else:
            self.reply(404, b"not found\n")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding") == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(length)
        self.reply(200, body, [("X-Method", self.command)])

    do_PUT = do_POST
    do_PATCH = do_POST


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


if __name__ == "__main__":
    Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
