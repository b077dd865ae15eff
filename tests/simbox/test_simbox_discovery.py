"""Port discovery by USB path: one tty per 2G slot, the AT interface (2) of LTE modules."""

from __future__ import annotations

from pathlib import Path

from simbox.discovery import discover, discover_sysfs


def _link(d: Path, name: str) -> None:
    (d / name).symlink_to("/dev/null")


def test_by_path_groups_interfaces(tmp_path: Path) -> None:
    by = tmp_path / "by-path"
    by.mkdir()
    for i in range(3):  # a CH340 hub with three SIM800 slots
        _link(by, f"pci-0000:00:14.0-usb-0:1.{i + 1}:1.0-port0")
    for iface in range(5):  # a SIM7600 module, five ttys
        _link(by, f"pci-0000:00:14.0-usb-0:2:1.{iface}-port0")
    _link(by, "pci-0000:00:14.0-usb-0:3:1.0")  # a CDC-ACM device (no -portN suffix)
    specs = discover(str(by))
    assert [(s.usb_path, s.interface) for s in specs] == [
        ("pci-0000:00:14.0-usb-0:1.1", 0),
        ("pci-0000:00:14.0-usb-0:1.2", 0),
        ("pci-0000:00:14.0-usb-0:1.3", 0),
        ("pci-0000:00:14.0-usb-0:2", 2),
        ("pci-0000:00:14.0-usb-0:3", 0),
    ]
    assert specs[3].path.endswith("usb-0:2:1.2-port0")
    assert discover(str(tmp_path / "missing")) == []


def test_sysfs_fallback(tmp_path: Path) -> None:
    sys_root, tty = tmp_path / "sys", tmp_path / "sys" / "class" / "tty"
    tty.mkdir(parents=True)
    bus = sys_root / "devices" / "pci0000:00" / "usb1"
    ec25 = bus / "1-1"
    for iface in range(4):  # Quectel EC25: ttyUSB0..3, AT on interface 2
        d = ec25 / f"1-1:1.{iface}" / f"ttyUSB{iface}"
        d.mkdir(parents=True)
        (tty / f"ttyUSB{iface}").mkdir()
        (tty / f"ttyUSB{iface}" / "device").symlink_to(d)
    (ec25 / "idVendor").write_text("2c7c\n")
    (ec25 / "idProduct").write_text("0125\n")
    slot = bus / "1-2.3" / "1-2.3:1.0" / "ttyUSB4"  # one SIM800 behind a CH340
    slot.mkdir(parents=True)
    (tty / "ttyUSB4").mkdir()
    (tty / "ttyUSB4" / "device").symlink_to(slot)
    (tty / "ttyS0").mkdir()  # not USB: ignored
    specs = discover_sysfs(str(sys_root), "/dev")
    assert [(s.path, s.usb_path, s.interface, s.vid_pid) for s in specs] == [
        ("/dev/ttyUSB2", "usb-1-1", 2, "2c7c:0125"),
        ("/dev/ttyUSB4", "usb-1-2.3", 0, None),
    ]
