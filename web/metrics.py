"""`/metrics`: the catalogue's figures in the Prometheus text format, for allowed addresses only.

Off unless `metrics.enabled`; an address outside `metrics.allow` (the
client address as the web's proxy handling gives it) gets the same 404 as
any unknown page. Two kinds of series:

- counted by this web process since it started: requests per endpoint and
  status, request latency, and search latency through the search engine.
  Behind gunicorn each worker process counts its own; Prometheus's scrape
  meets one of them at a time (run one worker, or prometheus-client's
  multiprocess mode, when exact totals matter);
- read from the store at each scrape: records per source and state, kept-aside
  records, clusters, each source's last harvest outcome and success, the last
  nightly run's outcome and end, and how long ago each change-log consumer
  (the search index, the OAI-PMH provider) last moved.
"""

from __future__ import annotations

import time

from flask import Flask, Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from store import Store

NAMESPACE = "unioncat"


def install(app: Flask, config) -> None:
    """Serve `/metrics` and count requests, when the configuration turns metrics on."""
    settings = config.metrics
    if not settings.enabled:
        return
    registry = CollectorRegistry()
    requests = Counter("http_requests", "Requests answered, per endpoint and status.", ["endpoint", "status"],
                       namespace=NAMESPACE, registry=registry)
    latency = Histogram("http_request_seconds", "Time to answer a request, per endpoint.", ["endpoint"],
                        namespace=NAMESPACE, registry=registry)
    searches = Histogram("search_seconds", "Time the search engine took per search.", ["engine"],
                         namespace=NAMESPACE, registry=registry,
                         buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
    extension = app.extensions["unioncat"]
    extension["engine"] = TimedEngine(extension["engine"], searches.labels(config.search.engine))
    registry.register(StoreCollector(extension["store"], [s.code for s in config.sources]))

    @app.before_request
    def started():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def counted(response):
        endpoint = request.endpoint or "unknown"
        requests.labels(endpoint, str(response.status_code)).inc()
        if "metrics_started" in g:
            latency.labels(endpoint).observe(time.perf_counter() - g.metrics_started)
        return response

    @app.get("/metrics")
    def metrics():
        if not settings.allows(request.remote_addr or ""):
            abort(404)
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class TimedEngine:
    """The search engine, its `search` timed into a histogram; everything else passed through."""

    def __init__(self, engine, histogram):
        self._engine = engine
        self._histogram = histogram

    def search(self, request):
        """The engine's search, timed."""
        with self._histogram.time():
            return self._engine.search(request)

    def __getattr__(self, name):
        return getattr(self._engine, name)


class StoreCollector:
    """Series read from the store at each scrape; `unioncat_store_up` 0 when the store does not answer."""

    def __init__(self, store: Store, sources: list[str]):
        self.store = store
        self.sources = sources

    def collect(self):
        """The series (prometheus-client calls this at each scrape)."""
        up = GaugeMetricFamily(f"{NAMESPACE}_store_up", "Whether the store answered this scrape.")
        try:
            families = list(self._families())
        except Exception:  # noqa: BLE001 - a store that is down is a figure to show, not an error page
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self):
        yield from self._records()
        yield from self._harvests()
        yield from self._nightly()
        yield from self._consumers()

    def _records(self):
        records = GaugeMetricFamily(f"{NAMESPACE}_records", "Stored records per source and state.",
                                    labels=["source", "state"])
        for source, counts in sorted(self.store.record_counts().items()):
            records.add_metric([source, "live"], counts.get("records", 0))
            records.add_metric([source, "deleted"], counts.get("deleted", 0))
        _records, clusters, several = self.store.cluster_totals()
        total = GaugeMetricFamily(f"{NAMESPACE}_clusters", "Live clusters (editions).")
        total.add_metric([], clusters)
        shared = GaugeMetricFamily(f"{NAMESPACE}_clusters_several_sources", "Live clusters held by several sources.")
        shared.add_metric([], several)
        yield from (records, total, shared)

    def _harvests(self):
        kept = GaugeMetricFamily(f"{NAMESPACE}_quarantined_records", "Records kept aside, per source.",
                                 labels=["source"])
        success = GaugeMetricFamily(f"{NAMESPACE}_harvest_last_success_timestamp_seconds",
                                    "When each source's last successful harvest ended.", labels=["source"])
        outcome = GaugeMetricFamily(f"{NAMESPACE}_harvest_last_outcome",
                                    "Each source's last harvest outcome (1 for the outcome it had).",
                                    labels=["source", "outcome"])
        for status in self.store.status(self.sources):
            kept.add_metric([status.source], status.quarantined)
            if status.last_success:
                success.add_metric([status.source], status.last_success.timestamp())
            if status.last_outcome:
                outcome.add_metric([status.source, status.last_outcome], 1)
        yield from (kept, success, outcome)

    def _nightly(self):
        run = self.store.last_finished_run("nightly")
        finished = GaugeMetricFamily(f"{NAMESPACE}_nightly_last_finished_timestamp_seconds",
                                     "When the last nightly run ended.")
        outcome = GaugeMetricFamily(f"{NAMESPACE}_nightly_last_outcome",
                                    "The last nightly run's outcome (1 for the outcome it had).", labels=["outcome"])
        if run:
            finished.add_metric([], run["finished_at"].timestamp())
            outcome.add_metric([run["outcome"] or "unknown"], 1)
        yield from (finished, outcome)

    def _consumers(self):
        age = GaugeMetricFamily(f"{NAMESPACE}_index_age_seconds",
                                "Seconds since each change-log consumer (search index, OAI-PMH provider) last moved.",
                                labels=["consumer"])
        now = time.time()
        for consumer in self.store.consumers():
            age.add_metric([consumer.name], max(0.0, now - consumer.updated_at.timestamp()))
        yield age
