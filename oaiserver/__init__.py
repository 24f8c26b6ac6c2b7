"""A small, real OAI-PMH server for MARC records, for demos and harvester tests.

Serve records read from MARC files on 127.0.0.1::

    repository = Repository(load_marc_files(paths))
    with serve_in_thread(make_app(repository, batch_size=10)) as server:
        harvest(server.url)

Wrap the app in :class:`FaultInjector` to make it fail the way real
member servers do (HTTP errors, truncated pages, looping tokens, ...).
"""

from oaiserver.app import make_app
from oaiserver.errors import DropConnection, OaiServerError, RecordError, UnknownRecordError
from oaiserver.faults import Fault, FaultInjector, Match, SeenRequest, retry_after_date
from oaiserver.repository import OaiRecord, Repository, load_marc_files
from oaiserver.runner import RunningServer, serve_forever, serve_in_thread

__all__ = [
    "DropConnection",
    "Fault",
    "FaultInjector",
    "Match",
    "OaiRecord",
    "OaiServerError",
    "RecordError",
    "Repository",
    "RunningServer",
    "SeenRequest",
    "UnknownRecordError",
    "load_marc_files",
    "make_app",
    "retry_after_date",
    "serve_forever",
    "serve_in_thread",
]
