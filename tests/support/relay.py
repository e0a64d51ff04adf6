"""A TCP relay between a client and a live server, which a test can cut like a network."""

import socket
import threading


class TcpProxy:
    """A TCP relay on a free loopback port that a test can cut, and keep cut, like a network."""

    def __init__(self, target_port):
        self.target_port = target_port  # or a function returning one, asked for each new connection
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.open = threading.Event()
        self.open.set()
        self._pairs = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:  # so a cut() cannot slip between the check and the registration
                if not self.open.is_set():
                    client.close()  # the network is down: the connection fails at once
                    continue
                try:
                    port = self.target_port() if callable(self.target_port) else self.target_port
                    upstream = socket.create_connection(("127.0.0.1", port))
                except OSError:
                    client.close()  # the server is down: so is this connection
                    continue
                pair = (client, upstream)
                self._pairs.add(pair)
            for a, b in (pair, pair[::-1]):
                threading.Thread(target=self._pipe, args=(a, b, pair), daemon=True).start()

    def _pipe(self, source, sink, pair):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        self._close(pair)

    def _close(self, pair):
        with self._lock:
            self._pairs.discard(pair)
        for sock in pair:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def cut(self):
        """Drop every open connection and refuse new ones until ``restore``."""
        with self._lock:
            self.open.clear()
            pairs = list(self._pairs)
        for pair in pairs:
            self._close(pair)

    def drop(self):
        """Drop every open connection, as a network cut would, but let the next ones through."""
        with self._lock:
            pairs = list(self._pairs)
        for pair in pairs:
            self._close(pair)

    def restore(self):
        """Let connections through again."""
        self.open.set()

    def close(self):
        self.cut()
        self.listener.close()
