"""Reading metrics in tests: from a registry, or from the text a scrape returned, as {(name, labels): value}."""

from __future__ import annotations

from typing import Iterable, Mapping

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

Samples = Mapping[tuple[str, frozenset], float]


def _samples(families: Iterable[Metric]) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in families
        for sample in family.samples
    }


def from_registry(registry: CollectorRegistry = REGISTRY) -> dict[tuple[str, frozenset], float]:
    return _samples(registry.collect())


def from_text(text: str) -> dict[tuple[str, frozenset], float]:
    return _samples(text_string_to_metric_families(text))


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples called ``name`` that carry these labels (whatever their others: ``pid``, ``le``)."""
    wanted = set(labels.items())
    return sum(
        found for (sample, sample_labels), found in samples.items() if sample == name and wanted <= sample_labels
    )


class Counted:
    """What this process's metrics counted since it was made: ``counted.delta(name, **labels)``."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.registry = registry
        self.before = from_registry(registry)

    def delta(self, name: str, **labels: str) -> float:
        return value(from_registry(self.registry), name, **labels) - value(self.before, name, **labels)
