"""One intake for every source of messages (the crawler's conversations, the archive of seized
accounts, later others): store the message as evidence with its originals → extract requisites
from text, window and image → judge the shop → requisite and sighting → shops the shop names →
review queue. Each step is one small component with one method (`Step.process(batch)`), listed
by dotted path in `settings.intake.steps` the way Scrapy lists item pipelines; sources only hand
in messages (`Intake.feed`), so the same message gives the same evidence whichever path it came
by.

Named "intake" (not "ingest") after the word the design and the evidence code already use:
originals are "kept at intake".
"""

from prokai.intake.model import Batch, Finding, IncomingMessage, Source, Step, Stored
from prokai.intake.pipeline import DEFAULT_STEPS, Intake, IntakeError, default_intake, load_step
from prokai.intake.shops import PeerInfo, find_shop_by_username, link_shop, norm_username, upsert_shop

__all__ = [
    "DEFAULT_STEPS",
    "Batch",
    "Finding",
    "IncomingMessage",
    "Intake",
    "IntakeError",
    "PeerInfo",
    "Source",
    "Step",
    "Stored",
    "default_intake",
    "find_shop_by_username",
    "link_shop",
    "load_step",
    "norm_username",
    "upsert_shop",
]
