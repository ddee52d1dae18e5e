"""DeliveryMode in the CloudFormation `sam deploy` creates: standard topics by default, exactly as before;
FIFO topics with their deduplication, throughput scope and archive in `fifo`, and no Firehose archive.

AWS facts relied on (docs/delivery-modes.md has the links): a FIFO topic's name ends in `.fifo`
(AWS::SNS::Topic TopicName); FIFO topics cannot deliver to Firehose, only to SQS queues
("Message delivery for FIFO topics"); `ArchivePolicy` keeps a FIFO topic's messages 1 to 365 days.
"""

from __future__ import annotations

from typing import Any

import pytest

from devkit.deployed import Deployment
from devkit.rehearsal import evaluated

FIFO = Deployment(overrides={"DeliveryMode": "fifo"})


def topics(deployment: Deployment) -> dict[str, dict[str, Any]]:
    template = evaluated(deployment)
    return {
        logical: template.resolve(resource["Properties"])
        for logical, resource in template.resources.items()
        if resource["Type"] == "AWS::SNS::Topic" and logical != "AlarmTopic"
    }


def test_standard_is_the_default_and_has_no_fifo_property() -> None:
    for props in topics(Deployment()).values():
        assert not props["TopicName"].endswith(".fifo")
        assert not {"FifoTopic", "ContentBasedDeduplication", "FifoThroughputScope", "ArchivePolicy"} & set(props)
    environment = evaluated(Deployment()).environment("WebhookFunction")
    assert (environment["DELIVERY_MODE"], environment["TOPIC_ARN_SUFFIX"]) == ("standard", "")


def test_fifo_topics_deduplicate_by_id_per_group_and_keep_an_archive() -> None:
    found = topics(FIFO)
    assert len(found) == 10  # the nine default nouns and the catch-all, every one FIFO
    for props in found.values():
        assert props["TopicName"].endswith(".fifo")
        assert props["FifoTopic"] in (True, "true")
        assert props["ContentBasedDeduplication"] in (False, "false")  # the receiver's id, never the body's hash
        assert props["FifoThroughputScope"] == "MessageGroup"
        assert props["ArchivePolicy"] == {"MessageRetentionPeriod": "90"}  # ArchiveRetentionDays


def test_fifo_without_the_archive_has_no_archive_policy() -> None:
    for props in topics(Deployment(overrides={"DeliveryMode": "fifo", "EnableArchive": "false"})).values():
        assert "ArchivePolicy" not in props


def test_fifo_has_no_firehose_archive_and_standard_keeps_it() -> None:
    for deployment, present in ((FIFO, False), (Deployment(), True)):
        kinds = {resource["Type"] for resource in evaluated(deployment).resources.values()}
        assert ("AWS::KinesisFirehose::DeliveryStream" in kinds) is present
        assert ("AWS::SNS::Subscription" in kinds) is present  # the archive's are the only subscriptions


@pytest.mark.parametrize("deployment", [Deployment(), FIFO], ids=["standard", "fifo"])
def test_the_function_computes_each_topics_arn(deployment: Deployment) -> None:
    """TOPIC_ARN_PREFIX + noun + TOPIC_ARN_SUFFIX is each noun topic's ARN, in both modes."""
    template = evaluated(deployment)
    environment = template.environment("WebhookFunction")
    for logical, props in topics(deployment).items():
        arn = template.resolve({"Ref": logical})
        if logical == "CatchAllTopic":
            assert environment["CATCH_ALL_TOPIC_ARN"] == arn
            continue
        noun = props["TopicName"].removeprefix(f"{template.stack_name}-").removesuffix(".fifo")
        assert environment["TOPIC_ARN_PREFIX"] + noun + environment["TOPIC_ARN_SUFFIX"] == arn
