"""Validate OAI-PMH responses against the schemas in `schemas/`, resolved locally (for tests and operators).

The OAI-PMH schema checks `metadata` and `about` strictly, so one combined
schema imports the envelope and every format's schema; the addresses those
schemas import each other by are mapped to the files here, so nothing is
fetched from the network. A missing file raises `SchemaMissing`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).parent / "schemas"
# namespace -> the file that defines it
NAMESPACES = {
    "http://www.openarchives.org/OAI/2.0/": "OAI-PMH.xsd",
    "http://www.loc.gov/MARC21/slim": "MARC21slim.xsd",
    "http://www.openarchives.org/OAI/2.0/oai_dc/": "oai_dc.xsd",
    "http://www.openarchives.org/OAI/2.0/provenance": "provenance.xsd",
}
# the addresses the schemas import one another by
ADDRESSES = {
    "http://dublincore.org/schemas/xmls/simpledc20021212.xsd": "simpledc20021212.xsd",
    "http://www.w3.org/2001/03/xml.xsd": "xml.xsd",
    "http://www.w3.org/2001/xml.xsd": "xml.xsd",
}


class SchemaMissing(Exception):
    """A schema file the validation needs is not in `schemas/`."""


class _Local(etree.Resolver):
    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder

    def resolve(self, url, _public_id, context):
        if url.startswith("file:") or url.startswith(str(self.folder)):
            return None         # one of the files here: read as it is
        name = ADDRESSES.get(url)
        if name is None:
            raise SchemaMissing(f"the schema at {url} is not kept locally")
        return self.resolve_filename(str(_file(self.folder, name)), context)


def _file(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise SchemaMissing(f"the schema file {path} is missing")
    return path


@cache
def schema() -> etree.XMLSchema:
    """One schema for the envelope and every format served, from `schemas/`."""
    return load_schema(SCHEMAS)


def load_schema(folder: Path) -> etree.XMLSchema:
    """The combined schema from the files in `folder`; `SchemaMissing` when one is not there."""
    imports = "".join(f'<xs:import namespace="{ns}" schemaLocation="{_file(folder, name).as_uri()}"/>'
                      for ns, name in NAMESPACES.items())
    for name in set(ADDRESSES.values()):
        _file(folder, name)
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_Local(folder))
    wrapper = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), parser, base_url=str(folder) + "/"))


def problems(document: bytes) -> list[str]:
    """Why `document` is not a valid OAI-PMH response (empty when it is)."""
    root = etree.fromstring(document, etree.XMLParser(no_network=True, resolve_entities=False))
    checker = schema()
    if checker.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in checker.error_log]
