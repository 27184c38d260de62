#!/usr/bin/python3
"""A TCP relay on 127.0.0.1 that drops a connection once nothing has crossed
it, either way, for IDLE seconds: what a NAT gateway or firewall does to an
idle SSH session. Writes its port to PORTFILE, then serves until killed; says
on stdout when it cut a connection.

usage: idle_proxy.py PORTFILE TARGET_PORT IDLE_SECONDS
"""
import os
import select
import socket
import sys
import threading
import time


def relay(client, target_port, idle):
    try:
        upstream = socket.create_connection(("127.0.0.1", target_port), timeout=10)
    except OSError:
        client.close()
        return
    ends = {client: upstream, upstream: client}
    last = time.monotonic()
    try:
        while True:
            ready, _, _ = select.select(list(ends), [], [], 0.1)
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                ends[sock].sendall(data)
                last = time.monotonic()
            if time.monotonic() - last > idle:
                print(f"cut a connection idle for {idle:g}s", flush=True)
                return
    except OSError:
        return
    finally:
        for sock in ends:
            sock.close()


def main():
    portfile, target_port, idle = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write(f"{listener.getsockname()[1]}\n")
    os.rename(portfile + ".tmp", portfile)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=relay, args=(client, target_port, idle), daemon=True).start()


if __name__ == "__main__":
    main()
