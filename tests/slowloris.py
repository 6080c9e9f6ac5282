"""A slowloris for the slow-client tests, run in its own process (the
attacker is another machine, not a thread competing with the measuring
client for the interpreter):

    python -m tests.slowloris PORT [N] [ADDRESS] [SECONDS]

holds N connections from ADDRESS to 127.0.0.1:PORT, each sending one byte
of an endless request header a second; a connection the server closes is
opened again.  After SECONDS it prints {"least_held": ..., "reopened": ...}.
"""

from __future__ import annotations

import json
import selectors
import socket
import sys
import time

REQUEST = b"GET /search.json?q=slow HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n" + b"X-Padding: a\r\n" * 100


def _open(sel: selectors.BaseSelector, port: int, address: str) -> None:
    sock = socket.socket()
    sock.bind((address, 0))
    sock.settimeout(2)
    try:
        sock.connect(("127.0.0.1", port))
    except OSError:
        sock.close()
        return
    sock.setblocking(False)
    sel.register(sock, selectors.EVENT_READ, data=[0])


def _drop(sel: selectors.BaseSelector, sock) -> None:
    sel.unregister(sock)
    sock.close()


def attack(port: int, n: int, address: str, seconds: float) -> dict:
    sel = selectors.DefaultSelector()
    reopened = 0
    end = time.monotonic() + seconds
    try:
        for _ in range(n):
            _open(sel, port, address)
        least_held = len(sel.get_map())
        while time.monotonic() < end:
            started = time.monotonic()
            for key in list(sel.get_map().values()):
                sock, sent = key.fileobj, key.data
                try:
                    sock.send(REQUEST[sent[0] % len(REQUEST):][:1])
                    sent[0] += 1
                except OSError:
                    _drop(sel, sock)
            # whatever the server answered (a 408, a close): drop it, open another
            for key, _ in sel.select(timeout=0):
                _drop(sel, key.fileobj)
            while len(sel.get_map()) < n and time.monotonic() < end:
                _open(sel, port, address)
                reopened += 1
            least_held = min(least_held, len(sel.get_map()))
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    finally:
        for key in list(sel.get_map().values()):
            _drop(sel, key.fileobj)
        sel.close()
    return {"least_held": least_held, "reopened": reopened}


if __name__ == "__main__":
    args = sys.argv[1:]
    port = int(args[0])
    n = int(args[1]) if len(args) > 1 else 200
    address = args[2] if len(args) > 2 else "127.0.0.2"
    seconds = float(args[3]) if len(args) > 3 else 30.0
    print(json.dumps(attack(port, n, address, seconds)), flush=True)
