"""The topic: its definition, its seed corpus, and the relevance model built from them."""

from __future__ import annotations

from collections.abc import Sequence

from watcher.config import Config
from watcher.topic.definition import Example, load_labelled, load_seeds, load_topic
from watcher.topic.model import RelevanceModel

__all__ = ["Example", "RelevanceModel", "build_model"]


def build_model(config: Config, feedback: Sequence[Example] = ()) -> RelevanceModel:
    """The model for the configured topic: seeds/*.txt (articles), seeds/*.jsonl (labelled
    records: articles and headlines) and feedback."""
    seeds_dir = config.seeds_dir
    return RelevanceModel.build(
        topic=load_topic(config.topic_file),
        seeds=load_seeds(seeds_dir),
        labelled=[e for f in sorted(seeds_dir.glob("*.jsonl")) for e in load_labelled(f)],
        feedback=feedback,
        threshold=config.topic.threshold,
    )
