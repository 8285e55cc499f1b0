"""Scoring the relevance model against labelled records: precision, recall, F1 and where it errs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from watcher.models import Verdict
from watcher.topic.labelled import Record, load_records

__all__ = ["Record", "Report", "evaluate", "judged_by", "load_records"]


@dataclass
class Report:
    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0
    skipped: int = 0
    non_english: list[int] = field(default_factory=lambda: [0, 0])  # found, relevant
    hard: list[int] = field(default_factory=lambda: [0, 0])  # flagged, hard negatives
    by_group: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_lang: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    misclassified: list[dict[str, Any]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def non_english_recall(self) -> float | None:
        found, total = self.non_english
        return found / total if total else None

    @property
    def hard_negatives_flagged(self) -> float | None:
        flagged, total = self.hard
        return flagged / total if total else None

    def as_dict(self) -> dict[str, Any]:
        def accuracy(table: dict[str, list[int]]) -> dict[str, dict[str, float]]:
            return {
                key: {"correct": right, "total": total, "accuracy": round(right / total, 4)}
                for key, (right, total) in sorted(table.items())
            }

        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "non_english_recall": _rounded(self.non_english_recall),
            "non_english_relevant": self.non_english[1],
            "hard_negatives_flagged": _rounded(self.hard_negatives_flagged),
            "hard_negatives": self.hard[1],
            "confusion": {"tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn},
            "skipped": self.skipped,
            "groups": accuracy(self.by_group),
            "languages": accuracy(self.by_lang),
            "misclassified": self.misclassified,
        }


class Judge(Protocol):
    def classify(self, title: str, text: str) -> Verdict: ...


def judged_by(model: Judge) -> Callable[[str, str], tuple[bool, float]]:
    """`evaluate`'s judge for a relevance model."""

    def judge(title: str, text: str) -> tuple[bool, float]:
        verdict = model.classify(title, text)
        return verdict.relevant, verdict.score

    return judge


def is_hard_negative(record: Record) -> bool:
    """A negative that looks like the topic: every named negative group but the easy ones
    (a record without a group is not counted either way)."""
    return record.label == 0 and record.group != "-" and "easy" not in record.group.lower()


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def evaluate(records: Iterable[Record], judge: Callable[[str, str], tuple[bool, float]]) -> Report:
    """`judge(title, text)` returns (relevant, score)."""
    report = Report()
    for record in records:
        if record.label is None:
            report.skipped += 1
            continue
        relevant, score = judge(record.title, record.text)
        truth = record.label == 1
        if relevant and truth:
            report.tp += 1
        elif relevant:
            report.fp += 1
        elif truth:
            report.fn += 1
        else:
            report.tn += 1
        if truth and record.lang not in ("en", "-"):
            report.non_english[0] += relevant
            report.non_english[1] += 1
        if is_hard_negative(record):
            report.hard[0] += relevant
            report.hard[1] += 1
        correct = int(relevant == truth)
        for table, key in ((report.by_group, record.group), (report.by_lang, record.lang)):
            table[key][0] += correct
            table[key][1] += 1
        if not correct:
            report.misclassified.append(
                {"id": record.id, "label": record.label, "score": score, "title": record.title}
            )
    return report
