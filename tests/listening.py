"""The TCP ports that this process's child processes listen on, read from Linux's /proc (no psutil)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

PROC = Path("/proc")
LISTEN = "0A"  # the state column of /proc/net/tcp{,6}


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (children, their children ...)."""
    parents = {}
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in (PROC / str(pid) / "fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def listening_addresses(pids: set[int]) -> list[str]:
    """The local IP addresses on which the processes ``pids`` listen for TCP connections."""
    wanted = set().union(*(socket_inodes(pid) for pid in pids)) if pids else set()
    addresses = []
    for table in ("tcp", "tcp6"):
        for line in (PROC / "net" / table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == LISTEN and fields[9] in wanted:
                addresses.append(_address(fields[1].split(":")[0]))
    return addresses


def _address(hex_address: str) -> str:
    """/proc/net/tcp's hex address (32-bit words in host byte order, little-endian here) as text."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    address = ipaddress.ip_address(words)
    return str(address.ipv4_mapped or address) if address.version == 6 else str(address)
