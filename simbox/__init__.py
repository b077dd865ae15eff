"""SimBox: drive GSM modem pools over their AT ports — inventory SIMs, read SMS and login codes,
USSD, SIM-bank switching — and an emulator that serves a virtual pool on pseudo-terminals.

This package is standalone (it never imports the application). See `simbox/README.md`.
"""

from simbox.errors import AtError, AtTimeout, CmeError, CmsError, PduError, PinError, PortClosed, SimboxError
from simbox.otp import extract_code

__version__ = "0.1.0"

__all__ = [
    "AtError",
    "AtTimeout",
    "CmeError",
    "CmsError",
    "PduError",
    "PinError",
    "PortClosed",
    "SimboxError",
    "extract_code",
]
