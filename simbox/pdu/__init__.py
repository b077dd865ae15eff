"""SMS PDU codec (3GPP TS 23.040 / 23.038)."""

from simbox.pdu.codec import (
    DELIVER,
    STATUS_REPORT,
    SUBMIT,
    Concat,
    Sms,
    decode_pdu,
    encode_deliver,
    encode_deliver_parts,
    encode_submit,
    split_text,
)

__all__ = [
    "DELIVER",
    "STATUS_REPORT",
    "SUBMIT",
    "Concat",
    "Sms",
    "decode_pdu",
    "encode_deliver",
    "encode_deliver_parts",
    "encode_submit",
    "split_text",
]
