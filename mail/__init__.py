"""Outgoing e-mail: the only user of SMTP. Patrons' request notices and operators' alerts are sent through `send`."""

from mail.errors import MailError
from mail.smtp import Message, send

__all__ = ["MailError", "Message", "send"]
