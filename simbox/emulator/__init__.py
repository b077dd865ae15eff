"""A virtual SimBox on real pseudo-terminals. See `simbox/README.md`.

    from simbox.emulator import Emulator, VirtualSim
    async with Emulator(ports=16, sims=[VirtualSim(msisdn="+77051234567")]) as emu:
        emu.deliver_sms("+77051234567", "Telegram code: 12345")
"""

from simbox.emulator.core import Emulator, normalize_number
from simbox.emulator.profiles import PROFILES, EmuProfile, get_profile
from simbox.emulator.sim import VirtualSim
from simbox.emulator.threaded import EmulatorThread

__all__ = ["PROFILES", "EmuProfile", "Emulator", "EmulatorThread", "VirtualSim", "get_profile", "normalize_number"]
