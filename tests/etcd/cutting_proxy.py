#!/usr/bin/python3
"""cutting_proxy.py PORT TARGET_PORT DIR — a TCP proxy on 127.0.0.1:PORT to
127.0.0.1:TARGET_PORT that loses answers on demand, told by files in DIR:

  DIR/cut            while it exists, what clients send still reaches the
                     target, but what the target answers is thrown away and
                     the client's connection closed; new connections are
                     closed as soon as they are accepted.
  DIR/lose-next-txn  the next /v3/kv/txn request goes through and its answer
                     is lost (its connection closed); the proxy then removes
                     the file, and everything else flows.  When the file
                     holds text, only the next request that contains it.
  DIR/hold-next-txn  the same, but the connection stays open and silent, so
                     that the client times out waiting on it.
  DIR/cut-at-next-txn
                     the next /v3/kv/txn request goes through, and from its
                     answer on everything is cut: the proxy makes DIR/cut
                     (remove it to end the cut) and removes this file.
  DIR/swallow-txn    holding a number N (none: 0): N /v3/kv/txn requests go
                     through, and the next one is never sent on: its
                     connection stays open and silent, and from then on
                     everything is cut (DIR/cut is made; the file removed).
                     So a request times out without having been carried out.
  DIR/stall-next-txn the next /v3/kv/txn request is never sent on, and its
                     connection stays open and silent; nothing else is cut
                     (the file is removed).  So a request times out without
                     having been carried out, and what follows goes through.
  DIR/mute-watch     while it exists, what the target sends on a watch
                     stream is kept back, and sent on once the file is gone:
                     the daemon learns late what other machines did.
  DIR/watching       a line added by the proxy when a watch stream's first
                     answer has been sent on: one per watch that runs.

So a request is carried out and its answer lost, as when a member dies
after taking it: for good (cut), or once.  A watch stream (/v3/watch) opened
before is left alone, so that the daemon keeps what it knows.
"""
import os
import select
import socket
import sys
import threading


SWALLOW_LOCK = threading.Lock()


def swallowed(control):
    """True when this txn is the one DIR/swallow-txn names (see above)."""
    path = os.path.join(control, "swallow-txn")
    with SWALLOW_LOCK:
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            return False
        left = int(text) if text else 0
        if left > 0:
            with open(path, "w") as f:
                f.write("%d\n" % (left - 1))
            return False
        open(os.path.join(control, "cut"), "w").close()
        os.unlink(path)
        return True


def wanted(path, data):
    """True when DIR's file exists and names data: empty, or a text it contains."""
    try:
        with open(path, "rb") as f:
            text = f.read().strip()
    except OSError:
        return False
    return not text or text in data


def pump(client, server, control):
    cut = os.path.join(control, "cut")
    lose = os.path.join(control, "lose-next-txn")
    hold = os.path.join(control, "hold-next-txn")
    cut_next = os.path.join(control, "cut-at-next-txn")
    stall = os.path.join(control, "stall-next-txn")
    mute = os.path.join(control, "mute-watch")
    losing = holding = watch = swallowing = watching = False
    kept = b""
    try:
        while True:
            ready, _, _ = select.select([client, server], [], [], 0.05 if kept else 1.0)
            if kept and not os.path.exists(mute):
                client.sendall(kept)
                kept = b""
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                if sock is client:
                    watch = watch or data.startswith(b"POST /v3/watch ")
                    if data.startswith(b"POST /v3/kv/txn ") and os.path.exists(stall):
                        os.unlink(stall)
                        swallowing = True
                    if swallowing or (data.startswith(b"POST /v3/kv/txn ") and swallowed(control)):
                        swallowing = True
                        continue  # never sent on; the client hears nothing
                    if data.startswith(b"POST /v3/kv/txn ") and wanted(lose, data):
                        os.unlink(lose)
                        losing = True
                    if data.startswith(b"POST /v3/kv/txn ") and os.path.exists(cut_next):
                        open(cut, "w").close()
                        os.unlink(cut_next)
                        losing = True
                    if data.startswith(b"POST /v3/kv/txn ") and os.path.exists(hold):
                        os.unlink(hold)
                        holding = True
                    server.sendall(data)
                elif holding:
                    continue  # the answer is kept from the client
                elif watch and (kept or os.path.exists(mute)):
                    kept += data  # told late, in order
                elif not watch and (losing or os.path.exists(cut)):
                    return  # the answer is lost with the connection
                else:
                    client.sendall(data)
                    if watch and not watching:
                        watching = True
                        with open(os.path.join(control, "watching"), "a") as f:
                            f.write("watch\n")
    except OSError:
        return
    finally:
        client.close()
        server.close()


def main():
    port, target, control = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    while True:
        client, _ = listener.accept()
        if os.path.exists(os.path.join(control, "cut")):
            client.close()
            continue
        try:
            server = socket.create_connection(("127.0.0.1", target))
        except OSError:
            client.close()
            continue
        threading.Thread(target=pump, args=(client, server, control), daemon=True).start()


if __name__ == "__main__":
    main()
