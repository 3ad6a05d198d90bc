"""GCP trail integrity: an enabled sink exporting to Cloud Storage writes into a bucket
whose retention policy is locked (CIS GCP 2.3). Disabled sinks (they export nothing) and
sinks to BigQuery, Pub/Sub or log buckets are not judged here (docs/gcp-checks.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks._common import gap_cause, label, not_reported, unseen
from scanner.inventory import AuditTrail, Inventory
from scanner.results import Result

STORAGE = "storage.googleapis.com/"
BUCKET_READ = "storage.buckets.get"


def judge_sink_lock(inv: Inventory) -> Iterator[Result]:
    for sink in inv.of(AuditTrail):
        if sink.provider != "gcp" or not sink.store_id.startswith(STORAGE):
            continue
        if sink.logging is False:
            continue
        bucket = sink.store_id.removeprefix(STORAGE)
        evidence: dict[str, Any] = {"bucket": bucket, "retention_locked": sink.immutable}
        if sink.immutable is True:
            yield Result.passed(
                sink,
                f"sink {label(sink)} exports to bucket {bucket}, whose retention policy is locked",
                **evidence,
            )
        elif sink.immutable is False:
            yield Result.failed(
                sink,
                f"sink {label(sink)} exports to bucket {bucket}, which has no locked retention "
                "policy: exported logs can be deleted or the retention shortened",
                **evidence,
            )
        elif why := gap_cause(inv, sink, BUCKET_READ):
            yield Result.error(
                sink,
                f"sink {label(sink)}: bucket {bucket} could not be read ({why}); cannot evaluate",
                **evidence,
            )
        elif not unseen(inv, "gcp", sink.account, sink.region, (AuditTrail.kind,)):
            yield not_reported(sink, f"the retention lock of bucket {bucket}")
