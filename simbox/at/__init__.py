"""AT command layer: a pure framer (bytes → lines, URCs, responses) and an asyncio serial port."""

from simbox.at.framer import AtStream, CommandSpec, Final, LineFramer, Prompt, Urc
from simbox.at.port import AtPort, Response

__all__ = ["AtPort", "AtStream", "CommandSpec", "Final", "LineFramer", "Prompt", "Response", "Urc"]
