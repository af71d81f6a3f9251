#!/usr/bin/python3
"""cutting_proxy.py PORT TARGET_PORT CUT_FILE — a TCP proxy on 127.0.0.1:PORT
to 127.0.0.1:TARGET_PORT that loses answers on demand.

While CUT_FILE exists, what clients send still reaches the target, but what
the target answers is thrown away and the client's connection is closed;
new connections are closed as soon as they are accepted.  So a request sent
just then is carried out and its answer is lost, as when a member dies
after taking it.
"""
import os
import select
import socket
import sys
import threading


def pump(client, server, cut_file):
    try:
        while True:
            ready, _, _ = select.select([client, server], [], [], 1.0)
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                if sock is client:
                    server.sendall(data)
                elif os.path.exists(cut_file):
                    return  # the answer is lost with the connection
                else:
                    client.sendall(data)
    except OSError:
        return
    finally:
        client.close()
        server.close()


def main():
    port, target, cut_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    while True:
        client, _ = listener.accept()
        if os.path.exists(cut_file):
            client.close()
            continue
        try:
            server = socket.create_connection(("127.0.0.1", target))
        except OSError:
            client.close()
            continue
        threading.Thread(target=pump, args=(client, server, cut_file), daemon=True).start()


if __name__ == "__main__":
    main()
