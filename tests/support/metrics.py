"""Reading /metrics as Prometheus does: with prometheus_client's own parser of the text format."""

from prometheus_client.parser import text_string_to_metric_families

SCRAPE_TOKEN = "metrics-token-of-thirty-two-chars"  # CHAT_METRICS_TOKEN must be 32 characters or more


def samples(text):
    """Return the samples of an exposition ``text`` as {(sample name, ((label, value), ...)): value}."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(figures, name, **labels):
    """Return the sample ``name`` with exactly ``labels`` from ``samples()``' result; 0 when absent."""
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


def total(figures, name, **labels):
    """Return the sum of the samples ``name`` whose labels include ``labels`` (all of them without any)."""
    wanted = set(labels.items())
    return sum(
        figure for (sample, sample_labels), figure in figures.items() if sample == name and wanted <= set(sample_labels)
    )
