"""Real availability peers on 127.0.0.1 for tests and benchmarks: DAIA, Koha ILS-DI and a JSON endpoint.

    catalogue = PeerCatalogue()
    catalogue.add("123", PeerItem("1001", "on_loan", due="2030-01-31", branch="Centrum"))
    peer = FaultSwitch(make_koha_app(catalogue))
    with serve_in_thread(peer) as server:      # oaiserver's runner: one thread per request
        ...  server.url ...
    peer.fault = "silent"                      # no answer, slow, malformed, drop; see faults.py

See PROVENANCE.md for what each answer is modelled on.
"""

from memberpeers.catalogue import PeerCatalogue, PeerItem
from memberpeers.daia import make_daia_app
from memberpeers.faults import FaultSwitch
from memberpeers.jsonpeer import TEMPLATE, make_json_app
from memberpeers.koha import PATH as KOHA_PATH
from memberpeers.koha import make_koha_app
from oaiserver import RunningServer, serve_in_thread

__all__ = ["KOHA_PATH", "TEMPLATE", "FaultSwitch", "PeerCatalogue", "PeerItem", "RunningServer", "make_daia_app",
           "make_json_app", "make_koha_app", "serve_in_thread"]
