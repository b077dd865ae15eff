"""Finding modem AT ports: by USB path (/dev/serial/by-path), with the AT interface of multi-port
LTE modules chosen by interface number, and sysfs details where the kernel has them.

The tty number (`ttyUSB3`) changes when a modem re-enumerates; the USB path does not. A port is
identified by its USB path and confirmed by IMEI (`AT+CGSN`).
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path

# USB vendor:product → AT interface number (LTE modules show 4-5 ttys; AT is interface 2)
AT_INTERFACE = {
    "2c7c:0125": 2,  # Quectel EC25
    "2c7c:0121": 2,  # Quectel EC21
    "2c7c:0306": 2,  # Quectel EP06
    "2c7c:0296": 2,  # Quectel BG96
    "1e0e:9001": 2,  # SIMCom SIM7600
    "1e0e:9011": 2,  # SIMCom SIM7600 (RNDIS)
    "12d1:1001": 0,  # Huawei E1550 (modem)
}
_BY_PATH = re.compile(r"^(?P<dev>.+?):1\.(?P<iface>\d+)(?:-port\d+)?$")


@dataclass(frozen=True)
class PortSpec:
    """A candidate AT port: the path to open, its stable USB path, interface number."""

    path: str
    usb_path: str | None = None
    interface: int | None = None
    vid_pid: str | None = None
    imei: str | None = None  # expected IMEI, when known from configuration
    profile: str | None = None


def _vid_pid(tty: str) -> str | None:
    """vendor:product from sysfs for /dev/ttyUSBn (None for ptys and where sysfs is absent)."""
    name = os.path.basename(os.path.realpath(tty))
    dev = Path(f"/sys/class/tty/{name}/device")
    if not dev.exists():
        return None
    p = dev.resolve()
    for parent in [p, *p.parents]:
        vid, pid = parent / "idVendor", parent / "idProduct"
        if vid.exists() and pid.exists():
            try:
                return f"{vid.read_text().strip()}:{pid.read_text().strip()}"
            except OSError:
                return None
    return None


DEFAULT_BY_PATH = "/dev/serial/by-path"


def discover(by_path: str = DEFAULT_BY_PATH) -> list[PortSpec]:
    """One PortSpec per USB modem found under `by_path`: the single tty of a 2G slot, or the AT
    interface of a multi-interface module. Paths are the by-path links (stable across renames).
    Without /dev/serial/by-path (containers, minimal systems) sysfs is read instead."""
    root = Path(by_path)
    if not root.is_dir():
        return discover_sysfs() if by_path == DEFAULT_BY_PATH else []
    devices: dict[str, list[tuple[int, str]]] = {}
    for link in sorted(root.iterdir()):
        m = _BY_PATH.match(link.name)
        if not m:
            devices.setdefault(link.name, []).append((0, str(link)))
            continue
        devices.setdefault(m.group("dev"), []).append((int(m.group("iface")), str(link)))
    out: list[PortSpec] = []
    for dev, ifaces in sorted(devices.items()):
        ifaces.sort()
        vp = _vid_pid(ifaces[0][1])
        want = AT_INTERFACE.get(vp or "")
        if want is None:
            want = 2 if len(ifaces) >= 4 else ifaces[0][0]
        chosen = next((x for x in ifaces if x[0] == want), ifaces[0])
        out.append(PortSpec(path=chosen[1], usb_path=dev, interface=chosen[0], vid_pid=vp))
    return out


_IFACE_DIR = re.compile(r"^(?P<dev>\d+-[\d.]+):\d+\.(?P<iface>\d+)$")


def discover_sysfs(sys_root: str = "/sys", dev_root: str = "/dev") -> list[PortSpec]:
    """Like `discover`, from sysfs (where /dev/serial/by-path is missing, e.g. in containers):
    /sys/class/tty/ttyUSB*|ttyACM* → USB interface directory → USB path and interface number.
    Paths are /dev/ttyUSBn (not stable: re-binding confirms by IMEI)."""
    root = Path(sys_root) / "class" / "tty"
    if not root.is_dir():
        return []
    devices: dict[str, list[tuple[int, str, str | None]]] = {}
    for entry in sorted(root.iterdir()):
        if not entry.name.startswith(("ttyUSB", "ttyACM")):
            continue
        dev = (entry / "device").resolve()
        iface_dir = next((p for p in [dev, *dev.parents] if _IFACE_DIR.match(p.name)), None)
        if iface_dir is None:
            continue
        m = _IFACE_DIR.match(iface_dir.name)
        assert m is not None
        vp = None
        vid, pid = iface_dir.parent / "idVendor", iface_dir.parent / "idProduct"
        if vid.exists() and pid.exists():
            vp = f"{vid.read_text().strip()}:{pid.read_text().strip()}"
        devices.setdefault(m.group("dev"), []).append((int(m.group("iface")), f"{dev_root}/{entry.name}", vp))
    out: list[PortSpec] = []
    for usb, ifaces in sorted(devices.items()):
        ifaces.sort()
        vp = ifaces[0][2]
        want = AT_INTERFACE.get(vp or "")
        if want is None:
            want = 2 if len(ifaces) >= 4 else ifaces[0][0]
        chosen = next((x for x in ifaces if x[0] == want), ifaces[0])
        out.append(PortSpec(path=chosen[1], usb_path=f"usb-{usb}", interface=chosen[0], vid_pid=vp))
    return out


def candidates(patterns: tuple[str, ...] = ("/dev/ttyUSB*", "/dev/ttyACM*")) -> list[str]:
    """Plain tty names matching `patterns` (for re-binding by IMEI when no USB path is known)."""
    out: list[str] = []
    for pat in patterns:
        out += sorted(glob.glob(pat))
    return out
