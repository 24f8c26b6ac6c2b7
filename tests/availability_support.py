"""A small network for the live-availability tests and bench: one edition held by every member, harvested from files.

Each member's record carries the ids its system would know it by: 001
(`<code>0001`), Koha's 999 $c (`42<n>`) and a 035 `(PL-KrBN)b<n>`, and a
holding (852 $b library, $h call number). Peers on 127.0.0.1 are seeded with
copies under those ids.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml
from click.testing import CliRunner

from cli import main
from memberpeers import (KOHA_PATH, TEMPLATE, FaultSwitch, PeerCatalogue, PeerItem, make_daia_app, make_json_app,
                         make_koha_app, serve_in_thread)
from settings import Config, load_config
from settings.availability import parse_availability

ISBN = "9788324015498"
RECORD = """<?xml version="1.0" encoding="UTF-8"?>
<collection xmlns="http://www.loc.gov/MARC21/slim"><record>
<leader>00000nam a2200000 a 4500</leader>
<controlfield tag="001">{code}0001</controlfield>
<controlfield tag="008">150101s2015    pl            000 1 pol d</controlfield>
<datafield tag="020" ind1=" " ind2=" "><subfield code="a">{isbn}</subfield></datafield>
<datafield tag="035" ind1=" " ind2=" "><subfield code="a">(PL-KrBN)b{n}</subfield></datafield>
<datafield tag="100" ind1="1" ind2=" "><subfield code="a">Żeromski, Stefan.</subfield></datafield>
<datafield tag="245" ind1="1" ind2="0"><subfield code="a">Ludzie bezdomni /</subfield><subfield code="c">Stefan Żeromski.</subfield></datafield>
<datafield tag="260" ind1=" " ind2=" "><subfield code="a">Kraków :</subfield><subfield code="b">Znak,</subfield><subfield code="c">2015.</subfield></datafield>
<datafield tag="852" ind1=" " ind2=" "><subfield code="b">MAIN</subfield><subfield code="h">821.162.1 ZER</subfield></datafield>
<datafield tag="999" ind1=" " ind2=" "><subfield code="c">42{n}</subfield></datafield>
</record></collection>
"""
# where each kind of peer finds the id, and what it is for member n
ID_FIELDS = {"daia": ("035:(PL-KrBN)", "b{n}"), "koha": ("999$c", "42{n}"), "template": ("001", "{code}0001")}


def member_code(n: int) -> str:
    return f"m{n:02d}"


def build_network(folder: Path, members: int) -> Config:
    """`members` file sources holding the same edition, harvested, deduplicated and indexed, without live availability."""
    sources = []
    for n in range(members):
        code = member_code(n)
        path = folder / "data" / f"{code}.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(RECORD.format(code=code, n=n, isbn=ISBN), encoding="utf-8")
        sources.append({"code": code, "name": f"Biblioteka {n + 1}", "type": "file", "path": [str(path)],
                        "holdings": {"tag": "852", "library": "b", "call_number": "h",
                                     "library_names": {"MAIN": f"Biblioteka {n + 1}, Centrum"}}})
    config = {"store": "var/store.sqlite", "index": "var/index", "reports": "var/reports", "sources": sources,
              "web": {"secret_key": "x" * 40, "rate_limit": "off"}}
    (folder / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(folder / "config.yaml"), "nightly"])
    assert result.exit_code == 0, result.output
    return load_config(folder / "config.yaml")


def member_id(kind: str, n: int) -> str:
    """The id peer `kind` knows member n's record by."""
    return ID_FIELDS[kind][1].format(n=n, code=member_code(n))


class RunningPeer:
    """A peer of one kind on 127.0.0.1 for member n, with its copies and its fault switch."""

    def __init__(self, kind: str, n: int, *, delay: float = 1.5, hold: float = 8.0, credentials_env: str = "",
                 **options):
        self.kind, self.n, self.credentials_env = kind, n, credentials_env
        self.copies = PeerCatalogue()
        self.copies.add(member_id(kind, n), PeerItem(f"{n}01", branch=f"Biblioteka {n + 1}, Centrum", call_number="821 ZER"),
                        PeerItem(f"{n}02", "on_loan", due="2030-01-31", branch=f"Biblioteka {n + 1}, Filia 2"))
        make = {"daia": make_daia_app, "koha": make_koha_app, "template": make_json_app}[kind]
        self.switch = FaultSwitch(make(self.copies, **options), delay=delay, hold=hold)
        self.server = serve_in_thread(self.switch)

    def settings(self, timeout: float) -> dict:
        """This peer's `availability:` mapping for member n."""
        base = f"http://{self.server.host}:{self.server.port}"
        url = {"daia": base + "/", "koha": base + KOHA_PATH, "template": base + "/api/availability?ids={ids}"}[self.kind]
        out = {"adapter": self.kind, "url": url, "id_field": ID_FIELDS[self.kind][0], "timeout": timeout}
        if self.kind == "template":
            out["template"] = TEMPLATE
        if self.credentials_env:
            out["credentials_env"] = self.credentials_env
        return out

    def stop(self) -> None:
        self.switch.release()
        self.server.stop()


def with_availability(config: Config, peers: list[RunningPeer], timeout: float, **shared) -> Config:
    """`config` with each peer's member asked live."""
    sources = [{"code": member_code(p.n), "availability": p.settings(timeout)} for p in peers]
    return replace(config, availability=parse_availability(shared, sources))
