"""Masking of citizens' personal data (phone numbers, ID numbers) for logs."""

import logging
import re

# Boundaries exclude letters too, so hex ids and hashes are left alone.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d)\d{4}(\d{4})(?![0-9A-Za-z])")
_LANDLINE = re.compile(r"(?<![0-9A-Za-z])(0\d{2,3})-?\d{3,4}(\d{4})(?![0-9A-Za-z])")


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits of a phone number: 138****5678."""
    digits = phone.replace("-", "")
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 8 else "****"


def mask_pii(text: str) -> str:
    """'13812345678' -> '138****5678'; ID numbers and landlines keep only their ends."""
    text = _ID_NUMBER.sub(r"\1********\2", text)
    text = _MOBILE.sub(r"\1****\2", text)
    return _LANDLINE.sub(r"\1-****\2", text)


class PiiMaskingFilter(logging.Filter):
    """Rewrites every record's final message with personal data masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_pii(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PiiMaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
