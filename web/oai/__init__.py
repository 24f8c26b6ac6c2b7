"""unioncat as an OAI-PMH 2.0 provider (`/oai`) for the catalogue one level up, and the consumer that feeds it."""

from web.oai.feed import CONSUMER, LEASE, FeedReport, sets_of, spec_part, update_provider
from web.oai.views import install

__all__ = ["CONSUMER", "LEASE", "FeedReport", "install", "sets_of", "spec_part", "update_provider"]
