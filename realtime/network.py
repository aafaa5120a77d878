"""Classroom mode: the address phones reach the site at. QUIZZONE_PUBLIC_URL when set, else, when the server
listens on every interface, this machine's LAN address, found without sending anything anywhere.

Standard library only: the settings, realtime/serve.py and deploy/supervisor.py import it before Django is
set up.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import subprocess
from urllib.parse import urlsplit

WILDCARDS = frozenset({"0.0.0.0", "::", "[::]", "*", ""})
# connect() on a UDP socket sends no packet: the kernel only picks the route, and with it our source address.
PROBES = ("10.254.254.254", "192.168.254.254", "172.16.254.254")
# Interfaces of containers and virtual machines on this machine, which phones cannot reach.
VIRTUAL = re.compile(r"^(docker|br-|veth|virbr|vmnet|vboxnet|cni|flannel|lxc|tun|tap|wg)")
SCHEMES = {"http": "http", "https": "https", "ws": "http", "wss": "https"}
INET_LINE = re.compile(r"^\d+:\s+(\S+)\s+inet\s+([\d.]+)/\d+")


def is_wildcard(host: str) -> bool:
    return host.strip() in WILDCARDS


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only (127.0.0.1, ::1, localhost)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() == "localhost" or host.lower().endswith(".localhost")


def reachable(address: str) -> bool:
    """An IPv4 address another device could connect to (not loopback, link-local or unspecified)."""
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast)


def addresses_from_ip(output: str) -> list[str]:
    """IPv4 addresses in `ip -4 -o addr` output, physical interfaces first, private before public."""
    found = []
    for line in output.splitlines():
        if match := INET_LINE.match(line.strip()):
            interface, address = match.groups()
            if reachable(address):
                found.append(
                    (bool(VIRTUAL.match(interface)), not ipaddress.IPv4Address(address).is_private, address)
                )
    return [address for *_, address in sorted(found, key=lambda row: row[:2])]


def lan_address() -> str | None:
    """This machine's address on the local network, or None when it has none (or it cannot be told)."""
    for probe in PROBES:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.connect((probe, 9))
                address = udp.getsockname()[0]
        except OSError:
            continue  # no route to that network
        if reachable(address):
            return address
    try:
        output = subprocess.run(
            ["ip", "-4", "-o", "addr", "show", "scope", "global"],
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    addresses = addresses_from_ip(output)
    return addresses[0] if addresses else None


def http_url(url: str) -> str:
    """A site base URL as http(s)://host[:port] (no path: the site is served at /); ws(s):// is accepted."""
    url = url.strip().rstrip("/")
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname or parts.path.strip("/"):
        raise ValueError(
            f"QUIZZONE_PUBLIC_URL must look like http://192.168.1.20:8000 (no path), not {url!r}"
        )
    return f"{SCHEMES[parts.scheme]}://{parts.netloc}"


def ws_url(url: str) -> str:
    """The WebSocket base URL of a site base URL (http -> ws, https -> wss)."""
    base = http_url(url)
    return "ws" + base.removeprefix("http") if base else ""


def site_url(host: str, port: int, public_url: str = "", lan: str | None = None) -> str:
    """Where phones open the site, served on host:port: `public_url` when given, else the LAN address when
    `host` is every interface (`lan`, found when None), a specific non-loopback host as it is, else ""
    (only this machine can reach it: pages use the address the browser asked for)."""
    if public_url.strip():
        return http_url(public_url)
    if is_wildcard(host):
        address = lan if lan is not None else lan_address()
        return f"http://{address}:{port}" if address else ""
    return "" if is_loopback(host) else f"http://{host}:{port}"


def admitted(public_url: str, hosts: list[str], origins: list[str]) -> tuple[list[str], list[str]]:
    """ALLOWED_HOSTS and CSRF_TRUSTED_ORIGINS with the public URL's host and origin added."""
    base = http_url(public_url)
    if not base:
        return hosts, origins
    parts = urlsplit(base)
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    origin = f"{parts.scheme}://{parts.netloc}"
    return (
        hosts if "*" in hosts or host in hosts else [*hosts, host],
        origins if origin in origins else [*origins, origin],
    )
