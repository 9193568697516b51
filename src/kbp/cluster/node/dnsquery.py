"""Ask a DNS server for a name's A record once: `python -m kbp.cluster.node.dnsquery SERVER NAME`.

`up` runs it inside the node's network namespace against the kube-dns Service: an answer proves
the whole path a pod's lookup takes (kube-proxy's rules, the CoreDNS pod, its view of the API).
Exit 0 with the addresses, 1 without an answer.
"""

from __future__ import annotations

import secrets
import socket
import struct
import sys

TIMEOUT = 1.0


def query(name: str, ident: int) -> bytes:
    """A recursive query for `name`'s A record."""
    header = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0)
    labels = b"".join(bytes([len(part)]) + part.encode("ascii") for part in name.rstrip(".").split("."))
    return header + labels + b"\0" + struct.pack("!HH", 1, 1)


def _skip_name(packet: bytes, at: int) -> int:
    while True:
        length = packet[at]
        if length & 0xC0 == 0xC0:  # a compression pointer ends the name
            return at + 2
        if length == 0:
            return at + 1
        at += 1 + length


def addresses(packet: bytes, ident: int) -> list[str]:
    """The A records of an answer to query(…, ident); [] for another id, an error code or none."""
    if len(packet) < 12:
        return []
    got, flags, questions, answers = struct.unpack("!HHHH", packet[:8])
    if got != ident or flags & 0x000F != 0:
        return []
    at = 12
    for _ in range(questions):
        at = _skip_name(packet, at) + 4
    found = []
    for _ in range(answers):
        at = _skip_name(packet, at)
        kind, _cls, _ttl, size = struct.unpack("!HHIH", packet[at : at + 10])
        at += 10
        if kind == 1 and size == 4:
            found.append(socket.inet_ntoa(packet[at : at + 4]))
        at += size
    return found


def ask(server: str, name: str) -> list[str]:
    ident = secrets.randbelow(0x10000)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(TIMEOUT)
        try:
            sock.sendto(query(name, ident), (server, 53))
            return addresses(sock.recv(4096), ident)
        except OSError:  # a timeout, or kube-proxy's REJECT while the Service has no endpoint
            return []


def main() -> None:
    server, name = sys.argv[1], sys.argv[2]
    found = ask(server, name)
    print("\n".join(found))
    sys.exit(0 if found else 1)


if __name__ == "__main__":
    main()
