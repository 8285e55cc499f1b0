"""Scoring the relevance model against labelled records: precision, recall, F1 and where it errs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from watcher.labelled import Record, load_records

__all__ = ["Record", "Report", "evaluate", "load_records"]


@dataclass
class Report:
    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0
    skipped: int = 0
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
            "confusion": {"tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn},
            "skipped": self.skipped,
            "groups": accuracy(self.by_group),
            "languages": accuracy(self.by_lang),
            "misclassified": self.misclassified,
        }


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
        correct = int(relevant == truth)
        for table, key in ((report.by_group, record.group), (report.by_lang, record.lang)):
            table[key][0] += correct
            table[key][1] += 1
        if not correct:
            report.misclassified.append(
                {"id": record.id, "label": record.label, "score": score, "title": record.title}
            )
    return report
