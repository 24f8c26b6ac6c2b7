"""The SolrCloud engine: configset, HTTP client, writer and searcher behind `index.engine`."""

from index.solr.client import SolrClient, SolrError
from index.solr.engine import SolrEngine, from_config

__all__ = ["SolrClient", "SolrError", "SolrEngine", "from_config"]
