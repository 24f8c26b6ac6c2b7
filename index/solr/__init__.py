"""The SolrCloud engine: configset, HTTP client, writer and searcher behind `index.engine`.

The engine itself (`index.solr.engine.SolrEngine`) is reached through
`index.engine.engine_for`, by name, as every engine is.
"""

from index.solr.client import SolrClient, SolrError

__all__ = ["SolrClient", "SolrError"]
