"""The data side of the OAI-PMH server: answers the oaipmh library's questions.

:class:`MarcDataSource` implements the library's ``IBatchingOAI`` interface
over a :class:`~oaiserver.repository.Repository`. The library's
``BatchingServer`` asks it for one page at a time (``cursor`` and
``batch_size``) and encodes the next offset in a stateless resumption token.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from lxml import etree
from oaipmh import common, error

from oaiserver.marcfiles import MARC_NS
from oaiserver.repository import OaiRecord, Repository

MARC_SCHEMA = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"
PROTOCOL_VERSION = "2.0"


def write_marcxml(element: etree._Element, record: OaiRecord) -> None:
    """Metadata writer: append the record's MARCXML under ``<metadata>``."""
    element.append(record.element())


class MarcDataSource:
    """One request's view of a repository, in the shape ``BatchingServer`` wants.

    *base_url* is the URL reported by Identify and in ``<request>``; a new
    data source is made per request so it can be the URL actually used.
    """

    def __init__(self, repository: Repository, metadata_prefixes: Sequence[str], base_url: str):
        self._repository = repository
        self._prefixes = tuple(metadata_prefixes)
        self._base_url = base_url

    def identify(self) -> common.Identify:
        """Describe the repository, including its granularity and deletion policy."""
        repository = self._repository
        return common.Identify(
            repositoryName=repository.name,
            baseURL=self._base_url,
            protocolVersion=PROTOCOL_VERSION,
            adminEmails=[repository.admin_email],
            earliestDatestamp=repository.earliest_datestamp(),
            deletedRecord=repository.deleted_record,
            granularity=repository.granularity,
            compression=["identity"],
        )

    def listMetadataFormats(self, identifier: str | None = None):  # noqa: N802 (oaipmh's name)
        """List the MARC formats, for the repository or for one record."""
        if identifier is not None and self._repository.get(identifier) is None:
            raise error.IdDoesNotExistError(f"Unknown identifier: {identifier}")
        return [(prefix, MARC_SCHEMA, MARC_NS) for prefix in self._prefixes]

    def getRecord(self, metadataPrefix: str, identifier: str):  # noqa: N802, N803
        """Return one record (or its tombstone) as header, metadata, about."""
        self._check_prefix(metadataPrefix)
        record = self._repository.get(identifier)
        if record is None:
            raise error.IdDoesNotExistError(f"Unknown identifier: {identifier}")
        return _header(record), record, None

    def listIdentifiers(self, metadataPrefix: str, set: str | None = None,  # noqa: A002, N802, N803
                        from_: datetime | None = None, until: datetime | None = None,
                        cursor: int = 0, batch_size: int = 10):
        """Return one page of headers."""
        page = self._page(metadataPrefix, set, from_, until, cursor, batch_size)
        return [_header(record) for record in page]

    def listRecords(self, metadataPrefix: str, set: str | None = None,  # noqa: A002, N802, N803
                    from_: datetime | None = None, until: datetime | None = None,
                    cursor: int = 0, batch_size: int = 10):
        """Return one page of (header, metadata, about) triples."""
        page = self._page(metadataPrefix, set, from_, until, cursor, batch_size)
        return [(_header(record), record, None) for record in page]

    def listSets(self, cursor: int = 0, batch_size: int = 10):  # noqa: N802
        """Return one page of (setSpec, setName, description) triples."""
        specs = self._repository.set_specs()
        if not specs:
            raise error.NoSetHierarchyError("This repository does not support sets.")
        cursor = int(cursor)
        return [(spec, spec, None) for spec in specs[cursor:cursor + int(batch_size)]]

    def _page(self, prefix, set_spec, from_, until, cursor, batch_size) -> list[OaiRecord]:
        self._check_prefix(prefix)
        if set_spec is not None and not self._repository.set_specs():
            raise error.NoSetHierarchyError("This repository does not support sets.")
        if from_ is not None and until is not None and from_ > until:
            raise error.BadArgumentError("The from argument is later than until.")
        cursor = int(cursor)
        selected = self._repository.select(from_, until, set_spec)
        return selected[cursor:cursor + int(batch_size)]

    def _check_prefix(self, prefix: str) -> None:
        if prefix not in self._prefixes:
            raise error.CannotDisseminateFormatError(f"Unknown metadata format: {prefix}")


def _header(record: OaiRecord) -> common.Header:
    return common.Header(None, record.identifier, record.datestamp, list(record.sets), record.deleted)
