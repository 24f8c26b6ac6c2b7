"""Send one plain-text message over SMTP, with a timeout on every exchange and one clear error for every failure."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from mail.errors import MailError
from settings.mail import EMAIL, MailSettings

MAX_SUBJECT = 200


@dataclass(frozen=True)
class Message:
    """What was handed to the server: its Message-ID and the recipients it accepted."""

    message_id: str
    recipients: tuple[str, ...]


def send(settings: MailSettings, to: str | list[str] | tuple[str, ...], subject: str, body: str) -> Message:
    """Send `body` as UTF-8 plain text to `to`; `MailError` saying why when it cannot be handed over."""
    recipients = _recipients(to)
    if not settings.enabled:
        raise MailError("mail is off: set mail.host in the configuration to send e-mail")
    message = _compose(settings, recipients, subject, body)
    where = f"{settings.host}:{settings.port}"
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            _hello(smtp, settings)
            refused = smtp.send_message(message, from_addr=settings.sender, to_addrs=list(recipients))
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"{where} refused every recipient: {_reasons(exc.recipients)}") from exc
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"{where} refused the message: {exc.smtp_code} {_text(exc.smtp_error)}") from exc
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        if _timed_out(exc):
            raise MailError(f"{where} did not answer within {settings.timeout:g} s") from exc
        raise MailError(f"cannot send through {where}: {exc or type(exc).__name__}") from exc
    return Message(message["Message-ID"], tuple(r for r in recipients if r not in refused))


def _recipients(to) -> tuple[str, ...]:
    recipients = (to,) if isinstance(to, str) else tuple(to)
    if not recipients:
        raise MailError("no recipient given")
    for address in recipients:
        if not isinstance(address, str) or not EMAIL.match(address):
            raise MailError(f"{address!r} is not an e-mail address")
    return recipients


def _compose(settings: MailSettings, recipients: tuple[str, ...], subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = ", ".join(recipients)
    # a subject is one line: a newline would start a header of the sender's choosing
    message["Subject"] = " ".join(subject.split())[:MAX_SUBJECT]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or "localhost")
    message.set_content(body, charset="utf-8")
    return message


def _hello(smtp: smtplib.SMTP, settings: MailSettings) -> None:
    smtp.ehlo()
    if settings.starttls:
        if not smtp.has_extn("starttls"):
            raise MailError(f"{settings.host}:{settings.port} does not offer STARTTLS, which mail.starttls asks for")
        smtp.starttls(context=ssl.create_default_context())
        smtp.ehlo()
    credentials = settings.credentials()
    if credentials:
        smtp.login(*credentials)


def _timed_out(exc: BaseException) -> bool:
    # smtplib reports a reply that never came as a disconnection whose context is the timeout
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


def _reasons(refused: dict) -> str:
    return "; ".join(f"{address}: {code} {_text(text)}" for address, (code, text) in refused.items())


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
