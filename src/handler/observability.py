"""What each request leaves behind for its operators: one log line, one metrics line, one trace.

All three are Powertools, configured from the environment the template sets:
- Logs (Logger): JSON; one line per request written by `record`, with the event id as the
  correlation id of every line the request writes. Never a secret, a signature or a body.
- Metrics (EMF) in the `POWERTOOLS_METRICS_NAMESPACE` namespace, built by an `EphemeralMetrics`
  per thread (`Metrics` keeps its data on the class, shared by every thread of a local server; one
  per request would rebuild its unit table every time). CloudWatch reads EMF from any JSON log
  line, so the request's log line carries them: one line, serialised and written once, instead of
  two (a fifth of the receiver's own time per request, measured with `make bench`). When INFO is
  not logged, they are written alone. Dimensions are short fixed words (source, noun, reason),
  never ids, so the number of metrics stays small.
- Traces (Tracer): built only when tracing is on. Constructing a Tracer imports the X-Ray SDK,
  tens of milliseconds of every cold start (docs/performance.md), which a function deployed
  without tracing should not pay.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any, NamedTuple

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

logger = Logger()

DEFAULT_NAMESPACE = "CommunityWebhooks"
DEFAULT_SERVICE = "webhooks"

# The metric each outcome counts, besides `Received` (every request).
OUTCOME_METRICS = {
    "published": "Published",
    "duplicate": "Duplicates",
    "replied": "Challenges",
    "rejected": "Rejected",
    "failed": "Failed",
}
# The ages of a published event, in ms: since it happened (its own time) and since the request was signed.
AGE_METRICS = {"event_age_ms": "EventAge", "request_age_ms": "RequestAge"}
PUBLISH_FAILED = "publish_failed"  # the reason that also counts as `PublishFailures`

# Fields of the request's log line that are annotations on its trace (searchable in X-Ray).
TRACE_ANNOTATIONS = ("outcome", "source", "event_name", "noun", "event_id", "reason")


def tracing_enabled(env: Mapping[str, str]) -> bool:
    """Powertools' own rule: on in Lambda, unless POWERTOOLS_TRACE_DISABLED, `sam local` or Chalice."""
    try:
        disabled = resolve_truthy_env_var_choice(env=env.get("POWERTOOLS_TRACE_DISABLED", "false"))
    except ValueError:  # a value Powertools cannot read: the side that cannot break a request
        disabled = True
    local = env.get("AWS_SAM_LOCAL") or env.get("AWS_CHALICE_CLI_MODE")
    return bool(env.get("LAMBDA_TASK_ROOT")) and not disabled and not local


# Only botocore is patched: the function makes no other kind of call worth a subsegment, and each
# patched library is an import at cold start.
tracer: Tracer | None = Tracer(patch_modules=("botocore",)) if tracing_enabled(os.environ) else None


def traced(handler: Callable[..., Any]) -> Callable[..., Any]:
    """The handler inside a trace segment when tracing is on (the response is not recorded)."""
    return tracer.capture_lambda_handler(handler, capture_response=False) if tracer else handler


def subsegment(name: str) -> AbstractContextManager[Any]:
    """A trace subsegment around one step (claim, publish, complete, release), or nothing."""
    return tracer.provider.in_subsegment(name) if tracer else nullcontext()


class MetricIdentity(NamedTuple):
    """Where a request's metrics go: the namespace, and the `service` dimension of every set."""

    namespace: str
    service: str


def metric_identity(env: Mapping[str, str]) -> MetricIdentity:
    """The identity the template sets (Powertools' own variables), or the defaults."""
    return MetricIdentity(
        env.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE,
        env.get("POWERTOOLS_SERVICE_NAME") or DEFAULT_SERVICE,
    )


_threads = threading.local()


def _thread_metrics(identity: MetricIdentity) -> EphemeralMetrics:
    """This thread's metrics set, empty, for the identity in force (tests change it)."""
    namespace, service = identity
    metrics: EphemeralMetrics | None = getattr(_threads, "metrics", None)
    if metrics is None or (metrics.namespace, metrics.service) != (namespace, service):
        metrics = _threads.metrics = EphemeralMetrics(namespace=namespace, service=service)
    metrics.clear_metrics()
    return metrics


def request_metrics(fields: Mapping[str, Any], identity: MetricIdentity) -> EphemeralMetrics:
    """The request's metrics: `Received` and its outcome's count, in up to four dimension sets.

    `[service]` holds the totals the alarms watch; `[service, source]`, `[service, source, noun]`
    and `[service, reason]` break them down for the dashboard.
    """
    service = identity.service
    metrics = _thread_metrics(identity)
    metrics.add_metric(name="Received", unit=MetricUnit.Count, value=1)
    outcome_metric = OUTCOME_METRICS.get(str(fields.get("outcome")))
    if outcome_metric:
        metrics.add_metric(name=outcome_metric, unit=MetricUnit.Count, value=1)
    reason = fields.get("reason")
    if reason == PUBLISH_FAILED:
        metrics.add_metric(name="PublishFailures", unit=MetricUnit.Count, value=1)
    if "kept" in fields:  # an event not published: on the failure queue, or (alarm) nowhere at all
        metrics.add_metric(name="Kept" if fields["kept"] else "NotKept", unit=MetricUnit.Count, value=1)
    for field, name in AGE_METRICS.items():  # how late a published event arrived (no AWS call measures it)
        if field in fields:
            metrics.add_metric(name=name, unit=MetricUnit.Milliseconds, value=fields[field])
    source, noun = fields.get("source"), fields.get("noun")
    if source:
        metrics.add_dimensions(service=service, source=str(source))
        if noun:  # the topic's noun (TOPIC_NOUNS or OTHER), never the sender's: a bounded set of series
            metrics.add_dimensions(service=service, source=str(source), noun=str(noun))
    if reason:
        metrics.add_dimensions(service=service, reason=str(reason))
    return metrics


def correlate(event_id: str) -> None:
    """The event id as the correlation id of every line this request writes from here on.

    Kept per thread, so that concurrent requests of a local server never label each other's lines;
    `begin` clears it for the next request.
    """
    logger.thread_safe_append_keys(correlation_id=event_id)


def begin() -> None:
    """A new request: nothing of the previous one's correlation is left."""
    logger.thread_safe_clear_keys()


def record(fields: Mapping[str, Any], identity: MetricIdentity) -> None:
    """Log the request's line, write its metrics and annotate its trace; never raises.

    The request is answered whatever happens here: telemetry must not turn an answer into an error.
    """
    try:
        line = dict(fields)
        if not is_metrics_disabled():
            metrics = request_metrics(fields, identity)
            if logger.log_level <= logging.INFO:
                line.update(metrics.serialize_metric_set())  # the line is also the EMF document
            else:
                metrics.flush_metrics()
        logger.info("webhook request", extra=line)
        if tracer:
            for name in TRACE_ANNOTATIONS:
                value = fields.get(name)
                if value is not None:
                    tracer.put_annotation(name, str(value))
    except Exception:
        logger.exception("telemetry could not be written")
