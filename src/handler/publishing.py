"""Publishing an Event to its noun's SNS topic: the only code that talks to SNS.

The message body is the webhook body exactly as received, so subscribers see what the platform
sent. Message attributes carry what subscription filter policies need; SQS raw delivery drops a
message with more than 10 attributes, so there are never more.
"""

from __future__ import annotations

from collections.abc import Mapping

from handler.aws_clients import client
from handler.config import Settings
from handler.delivery import Event

MAX_ATTRIBUTES = 10
MAX_ATTRIBUTE_LENGTH = 256  # filter values are short ids and names; longer is noise, not a filter key


class PublishFailed(Exception):
    """SNS did not take the message; the claim must be released so that a retry can publish."""


def message_attributes(event: Event) -> dict[str, str]:
    """The filter attributes of an event: the shared ones first, then the provider's own.

    Empty values are left out (SNS rejects them), and the list is cut at ten.
    """
    attributes: dict[str, str] = {
        "source": event.source,
        "event_id": event.event_id,
        "event_name": event.name,
        "noun": event.noun,
    }
    if event.verb:
        attributes["verb"] = event.verb
    for name, value in event.attributes.items():
        if value and name not in attributes:
            attributes[name] = value
    kept = {name: value[:MAX_ATTRIBUTE_LENGTH] for name, value in attributes.items() if value}
    return dict(list(kept.items())[:MAX_ATTRIBUTES])


def sns_attributes(attributes: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Attributes in SNS's `MessageAttributes` shape, all of type String."""
    return {name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()}


def publish(event: Event, settings: Settings) -> tuple[str, str]:
    """Publish the event once; returns (topic ARN, SNS message id) or raises PublishFailed."""
    from botocore.exceptions import BotoCoreError, ClientError

    topic_arn = settings.topic_for(event.noun)
    try:
        response = client("sns").publish(
            TopicArn=topic_arn,
            Message=event.body.decode("utf-8"),
            MessageAttributes=sns_attributes(message_attributes(event)),
        )
    except (BotoCoreError, ClientError) as error:
        raise PublishFailed(f"SNS publish to {topic_arn} failed: {error}") from error
    return topic_arn, response["MessageId"]
