"""ISO 18626 (Interlibrary Loan Transactions): messages, sending them, and receiving lenders' messages."""

from ill.iso18626.client import DeliveryFailed, post
from ill.iso18626.inbound import Answer, receive
from ill.iso18626.messages import (
    NS, SIGNATURE_HEADER, Message, MessageError, confirmation, parse, request_message, requesting_agency_message,
    sign, signed_by, supplying_agency_message,
)

__all__ = ["Answer", "DeliveryFailed", "Message", "MessageError", "NS", "SIGNATURE_HEADER", "confirmation", "parse",
           "post", "receive", "request_message", "requesting_agency_message", "sign", "signed_by",
           "supplying_agency_message"]
