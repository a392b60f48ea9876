"""A link that can fail: a TCP relay to a server (the platform, for a phone's mobile link;
PostgreSQL, for a database that drops away) that can be cut (every open connection dropped,
new ones closed at once) and restored, or made slow towards the server."""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class Link:
    def __init__(self, server_port: int, *, delay_to_server_s: float = 0.0) -> None:
        self._server_port = server_port
        self._delay_to_server_s = delay_to_server_s
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._up = True
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            self._up = False
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._open.clear()

    def restore(self) -> None:
        self._up = True

    def close(self) -> None:
        self.cut()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                phone, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                server = socket.create_connection(("127.0.0.1", self._server_port))
            except OSError:
                phone.close()  # as a server that cannot be reached; the link lives on
                continue
            with self._lock:
                # Checked with the connection registered: a cut between the check and the
                # registration would leave this connection up through the cut.
                if not self._up:
                    phone.close()
                    server.close()
                    continue
                self._open |= {phone, server}
            for source, sink, delay in (
                (phone, server, self._delay_to_server_s),
                (server, phone, 0.0),
            ):
                threading.Thread(target=self._pump, args=(source, sink, delay), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, delay_s: float) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                time.sleep(delay_s)
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._open.discard(sock)
            sock.close()
