"""Custom::TopicArchive (src/topic_archive) and the deletions it makes possible.

SNS refuses to delete a FIFO topic whose message archive is active. The handler's Delete deactivates
the archive (ArchivePolicy "{}"), and CloudFormation runs that Delete before the topic's own: it
deletes a stack's resources in reverse dependency order, and TopicArchive<NOUN> references its topic.
Here against moto with SNS's refusal emulated (`ArchiveRefusal`), a local HTTP server standing for
the presigned ResponseURL, and the deletion order computed from the template CloudFormation is given
(`devkit.deployed`): `sam delete`, a switch from fifo to standard topics and a removed noun each
delete every topic they should, and without the TopicArchive resources the first topic is refused.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import socket
import threading
import urllib.error
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devkit.deployed import Deployment, translated
from devkit.events import LambdaContext
from devkit.stack import topic_attributes
from devkit.template import Template, parameter_values
from tests.conftest import REGION
from topic_archive import app

REFUSAL = "Invalid state: Cannot delete a topic with an ArchivePolicy"
DEPLOYMENT = Deployment()  # the stack name, region and account devkit.deployed.translated uses
STACK_ID = f"arn:aws:cloudformation:{REGION}:{DEPLOYMENT.account}:stack/{DEPLOYMENT.stack_name}/0000"
RETENTION = json.dumps({"MessageRetentionPeriod": "30"})
TOPIC = "AWS::SNS::Topic"
ARCHIVE = "Custom::TopicArchive"


# ----- SNS's refusal, which moto does not have --------------------------------------------------------------
class ArchiveRefusal:
    """SNS's refusal to delete a topic whose message archive is active, on one boto3 SNS client.

    moto takes an ArchivePolicy in CreateTopic and SetTopicAttributes, never reports it and deletes
    any topic, so the failure `sam delete` meets on AWS ("Invalid state: Cannot delete a topic with an
    ArchivePolicy"; SNS Developer Guide, message archiving for FIFO topic owners) cannot happen there.
    Registered on a client's events, this remembers per topic ARN the ArchivePolicy the client created
    the topic with or last set, and:

    - DeleteTopic raises ClientError InvalidState with SNS's message while that policy holds a
      retention (an empty JSON object, "{}", is an inactive archive), and forgets the topic once moto
      has deleted it;
    - GetTopicAttributes reports the policy as the ArchivePolicy attribute while it is active, and
      no ArchivePolicy once it is "{}".

    Calls through other clients go unseen, and nothing else of archiving (FIFO only, 1 to 365 days,
    the archived messages, replay) is emulated.
    """

    def __init__(self, client: Any) -> None:
        self.policies: dict[str, str] = {}
        events = client.meta.events
        events.register("before-parameter-build.sns.CreateTopic", self._creating)
        events.register("after-call.sns.CreateTopic", self._created)
        events.register("before-parameter-build.sns.SetTopicAttributes", self._setting)
        events.register("after-call.sns.SetTopicAttributes", self._set)
        events.register("before-parameter-build.sns.GetTopicAttributes", self._topic)
        events.register("after-call.sns.GetTopicAttributes", self._report)
        events.register("before-parameter-build.sns.DeleteTopic", self._deleting)
        events.register("after-call.sns.DeleteTopic", self._deleted)

    def active(self, topic: str) -> bool:
        return app.archive_active(self.policies.get(topic))

    def _creating(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["archive_policy"] = (params.get("Attributes") or {}).get("ArchivePolicy")

    def _created(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if context.get("archive_policy") is not None and "TopicArn" in parsed:
            self.policies[parsed["TopicArn"]] = context["archive_policy"]

    def _setting(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if params.get("AttributeName") == "ArchivePolicy":
            context["archive_policy"] = (params["TopicArn"], params.get("AttributeValue", ""))

    def _set(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        if "archive_policy" in context and http_response.status_code == 200:
            topic, policy = context["archive_policy"]
            self.policies[topic] = policy

    def _topic(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["topic"] = params.get("TopicArn")

    def _report(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        topic = context.get("topic")
        if "Attributes" in parsed and topic and self.active(topic):
            parsed["Attributes"]["ArchivePolicy"] = self.policies[topic]

    def _deleting(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["topic"] = params.get("TopicArn")
        if self.active(params.get("TopicArn", "")):
            error = {"Error": {"Code": "InvalidState", "Message": REFUSAL}, "ResponseMetadata": {"HTTPStatusCode": 400}}
            raise ClientError(error, "DeleteTopic")

    def _deleted(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        if http_response.status_code == 200:
            self.policies.pop(context.get("topic") or "", None)


def code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def test_the_emulated_refusal_is_what_sns_answers(sns: Any) -> None:
    """A control of the emulation itself: refused while archived, deleted once the archive is "{}"."""
    arn = archived_topic(sns, "refusal.fifo")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["ArchivePolicy"] == RETENTION
    with pytest.raises(ClientError) as refused:
        sns.delete_topic(TopicArn=arn)
    assert (code(refused.value), refused.value.response["Error"]["Message"]) == ("InvalidState", REFUSAL)
    sns.set_topic_attributes(TopicArn=arn, AttributeName="ArchivePolicy", AttributeValue="{}")
    assert "ArchivePolicy" not in sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    sns.delete_topic(TopicArn=arn)
    assert topics(sns) == set()


# ----- fixtures -------------------------------------------------------------------------------------------
@pytest.fixture
def sns(aws: None) -> Any:
    client = boto3.client("sns", region_name=REGION)
    client.refusal = ArchiveRefusal(client)
    return client


class AnswerServer(ThreadingHTTPServer):
    answers: list[tuple[str, dict[str, str], dict[str, Any]]]


class TakeAnswer(BaseHTTPRequestHandler):
    """Stands for the presigned S3 URL: keeps each PUT's path, headers and JSON body."""

    server: AnswerServer

    def do_PUT(self) -> None:
        data = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.answers.append((self.path, dict(self.headers), json.loads(data)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@dataclass
class Answers:
    server: AnswerServer
    sent: int = 0

    def url(self) -> str:
        self.sent += 1
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/cloudformation/answer-{self.sent}?X-Amz-Signature=abc"

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [body for _, _, body in self.server.answers]

    @property
    def last(self) -> dict[str, Any]:
        return self.bodies[-1]


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Answers]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server = AnswerServer(("127.0.0.1", 0), TakeAnswer)
    server.answers = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield Answers(server)
    server.shutdown()
    server.server_close()
    thread.join()


def archived_topic(sns: Any, name: str, policy: str = RETENTION) -> str:
    attributes = {"FifoTopic": "true", "ContentBasedDeduplication": "false", "ArchivePolicy": policy}
    return str(sns.create_topic(Name=name, Attributes=attributes)["TopicArn"])


def topics(sns: Any) -> set[str]:
    return {topic["TopicArn"] for topic in sns.list_topics()["Topics"]}


def request(
    kind: str, answers: Answers, topic: Any, physical: str | None = None, logical: str = "TopicArchivePOST"
) -> dict[str, Any]:
    """A CloudFormation request to the function (AWS CloudFormation User Guide, custom resource request objects)."""
    token = f"arn:aws:lambda:{REGION}:{DEPLOYMENT.account}:function:community-webhooks-TopicArchiveFunction"
    properties = {"ServiceToken": token} if topic is None else {"ServiceToken": token, "TopicArn": topic}
    event: dict[str, Any] = {
        "RequestType": kind,
        "ServiceToken": token,
        "ResponseURL": answers.url(),
        "StackId": STACK_ID,
        "RequestId": str(uuid.uuid4()),
        "ResourceType": ARCHIVE,
        "LogicalResourceId": logical,
        "ResourceProperties": properties,
    }
    if physical is not None:
        event["PhysicalResourceId"] = physical
    if kind == "Update":
        event["OldResourceProperties"] = dict(properties)
    return event


def context(seconds: int = 60) -> LambdaContext:
    return LambdaContext(function_name="community-webhooks-TopicArchiveFunction", timeout_s=seconds)


# ----- the handler ----------------------------------------------------------------------------------------
def test_delete_deactivates_the_archive_and_the_topic_can_then_be_deleted(sns: Any, answers: Answers) -> None:
    arn = archived_topic(sns, "community-webhooks-POST.fifo")
    event = request("Delete", answers, arn, physical=arn)
    app.handle(event, context(), sns)
    [(path, headers, body)] = answers.server.answers
    assert path == "/cloudformation/answer-1?X-Amz-Signature=abc"
    assert headers["Content-Type"] == ""  # the presigned URL was signed without one
    assert body == {
        "Status": "SUCCESS",
        "PhysicalResourceId": arn,
        "StackId": STACK_ID,
        "RequestId": event["RequestId"],
        "LogicalResourceId": "TopicArchivePOST",
    }
    assert "ArchivePolicy" not in sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    sns.delete_topic(TopicArn=arn)
    assert topics(sns) == set()


def test_delete_of_a_topic_already_gone_or_without_an_archive_succeeds(sns: Any, answers: Answers) -> None:
    gone = f"arn:aws:sns:{REGION}:{DEPLOYMENT.account}:community-webhooks-GONE.fifo"
    app.handle(request("Delete", answers, gone, physical=gone), context(), sns)
    assert answers.last["Status"] == "SUCCESS"
    inactive = archived_topic(sns, "inactive.fifo", policy="{}")
    sets: list[Any] = []
    sns.meta.events.register("before-call.sns.SetTopicAttributes", lambda **kw: sets.append(kw))
    app.handle(request("Delete", answers, inactive, physical=inactive), context(), sns)
    assert (answers.last["Status"], sets) == ("SUCCESS", [])  # nothing to change, nothing changed


@pytest.mark.parametrize("kind", ["Create", "Update"])
def test_create_and_update_answer_with_the_topic_as_the_physical_id_and_touch_nothing(
    sns: Any, answers: Answers, kind: str
) -> None:
    arn = archived_topic(sns, "community-webhooks-POST.fifo")
    calls: list[Any] = []
    sns.meta.events.register("before-call.sns", lambda **kw: calls.append(kw))
    physical = None if kind == "Create" else f"arn:aws:sns:{REGION}:{DEPLOYMENT.account}:community-webhooks-OLD.fifo"
    app.handle(request(kind, answers, arn, physical=physical), context(), sns)
    assert (answers.last["Status"], answers.last["PhysicalResourceId"]) == ("SUCCESS", arn)
    assert "Reason" not in answers.last
    assert calls == []
    assert sns.refusal.active(arn)  # an Update naming another topic is a replacement: the old one gets a Delete


def test_an_sns_error_answers_failed_with_the_topic_and_the_error_code(sns: Any, answers: Answers) -> None:
    arn = archived_topic(sns, "community-webhooks-POST.fifo")

    def denied(**_: Any) -> None:
        error = {"Error": {"Code": "AuthorizationError", "Message": "not authorized"}}
        raise ClientError(error, "SetTopicAttributes")

    sns.meta.events.register("before-call.sns.SetTopicAttributes", denied)
    answer = app.handle(request("Delete", answers, arn, physical=arn), context(), sns)
    assert answer.status == "FAILED"
    assert answers.last["Status"] == "FAILED"
    assert answers.last["PhysicalResourceId"] == arn
    assert answers.last["Reason"] == f"Delete {arn}: FAILED AuthorizationError"
    assert sns.refusal.active(arn)


def test_an_unexpected_exception_is_answered_too(sns: Any, answers: Answers) -> None:
    arn = archived_topic(sns, "community-webhooks-POST.fifo")

    def broken(**_: Any) -> None:
        raise RuntimeError("something nobody expected")

    sns.meta.events.register("before-call.sns.GetTopicAttributes", broken)
    app.handle(request("Delete", answers, arn, physical=arn), context(), sns)
    assert (answers.last["Status"], answers.last["Reason"]) == ("FAILED", f"Delete {arn}: FAILED RuntimeError")


def test_no_sns_call_starts_without_the_time_to_answer(sns: Any, answers: Answers) -> None:
    """Checked before every attempt, botocore's retries included: the answer is never left to the timeout."""
    arn = archived_topic(sns, "community-webhooks-POST.fifo")
    almost_over = context(seconds=app.RESERVE_MS // 1000 - 1)
    app.handle(request("Delete", answers, arn, physical=arn), almost_over, sns)
    assert (answers.last["Status"], answers.last["Reason"]) == ("FAILED", f"Delete {arn}: FAILED OutOfTime")
    assert sns.refusal.active(arn)
    app.handle(request("Delete", answers, arn, physical=arn), context(), sns)  # the check is not left behind
    assert answers.last["Status"] == "SUCCESS"


def test_a_create_without_a_topic_fails_and_its_rollback_delete_succeeds(sns: Any, answers: Answers) -> None:
    app.handle(request("Create", answers, None), context(), sns)
    assert answers.last["Status"] == "FAILED"
    assert answers.last["Reason"] == "Create (no topic): FAILED the TopicArn property is not an SNS topic ARN"
    physical = answers.last["PhysicalResourceId"]
    assert physical == "TopicArchivePOST"
    app.handle(request("Delete", answers, None, physical=physical), context(), sns)
    assert answers.last["Status"] == "SUCCESS"


def test_a_delete_after_an_unanswered_create_releases_the_topic_of_its_properties(sns: Any, answers: Answers) -> None:
    """CloudFormation makes up a physical id when no answer came; the TopicArn property still names the topic."""
    arn = archived_topic(sns, "community-webhooks-POST.fifo")
    made_up = "community-webhooks-TopicArchivePOST-1A2B3C4D5E6F"
    app.handle(request("Delete", answers, arn, physical=made_up), context(), sns)
    assert (answers.last["Status"], answers.last["PhysicalResourceId"]) == ("SUCCESS", made_up)
    assert not sns.refusal.active(arn)


def test_one_log_line_per_request_and_no_event_body(
    sns: Any, answers: Answers, caplog: pytest.LogCaptureFixture
) -> None:
    arn = archived_topic(sns, "community-webhooks-POST.fifo")
    with caplog.at_level(logging.INFO, logger=app.LOGGER.name):
        app.handle(request("Delete", answers, arn, physical=arn), context(), sns)
    [line] = [record.getMessage() for record in caplog.records if record.name == app.LOGGER.name]
    assert line == f"Delete {arn}: SUCCESS archive deactivated"


def test_an_answer_that_cannot_be_sent_fails_the_invocation_for_lambda_to_retry(
    sns: Any, answers: Answers, caplog: pytest.LogCaptureFixture
) -> None:
    arn = archived_topic(sns, "community-webhooks-POST.fifo")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    event = request("Delete", answers, arn, physical=arn) | {"ResponseURL": f"http://127.0.0.1:{port}/gone"}
    with caplog.at_level(logging.INFO, logger=app.LOGGER.name), pytest.raises(urllib.error.URLError):
        app.handle(event, context(), sns)
    [line] = [record.getMessage() for record in caplog.records if record.name == app.LOGGER.name]
    assert line == f"Delete {arn}: SUCCESS archive deactivated; the answer was not sent: URLError"


@pytest.mark.parametrize(
    ("policy", "active"),
    [(None, False), ("", False), ("{}", False), (" {} ", False), (RETENTION, True), ("not json", True)],
)
def test_what_counts_as_an_active_archive(policy: str | None, active: bool) -> None:
    assert app.archive_active(policy) is active


# ----- the stack's life, from the template CloudFormation is given -----------------------------------------
class Placeholder(dict[str, str]):
    """A resource the emulation does not create: any attribute reads as a made-up value."""

    def __init__(self, logical: str) -> None:
        super().__init__(Ref=f"{logical}-physical")
        self.logical = logical

    def __missing__(self, attribute: str) -> str:
        return f"arn:aws:emulated:{REGION}:{DEPLOYMENT.account}:{self.logical}/{attribute}"


@functools.cache
def _deployed(delivery_mode: str, nouns: str) -> dict[str, Any]:
    return translated({"DeliveryMode": delivery_mode, "TopicNouns": nouns})


def deployed(delivery_mode: str, nouns: str = "POST,REACTION") -> Template:
    """The deployed template of a parameter set (translated once per process), its intrinsics resolvable."""
    document = json.loads(json.dumps(_deployed(delivery_mode, nouns)))
    parameters = parameter_values(document, {"DeliveryMode": delivery_mode, "TopicNouns": nouns})
    template = Template(
        document=document,
        parameters=parameters,
        stack_name=DEPLOYMENT.stack_name,
        region=DEPLOYMENT.region,
        account=DEPLOYMENT.account,
    )
    template.physical.update({logical: Placeholder(logical) for logical in template.resources})
    return template


SUB_NAMES = re.compile(r"\$\{([^!}][^}]*)\}")


def references(template: Template, node: Any) -> set[str]:
    """The names a value references by Ref, Fn::GetAtt and Fn::Sub ("${X}", "${X.Attr}"), in the
    branch each Fn::If takes."""
    if isinstance(node, list):
        return set().union(*(references(template, item) for item in node))
    if not isinstance(node, dict):
        return set()
    if len(node) == 1:
        ((key, arg),) = node.items()
        if key == "Ref" and isinstance(arg, str):
            return {arg}
        if key == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else arg
            return {parts[0]} if isinstance(parts[0], str) else references(template, parts)
        if key == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            named = {name.split(".", 1)[0] for name in SUB_NAMES.findall(text) if name not in variables}
            return named | references(template, variables)
        if key == "Fn::If":
            return references(template, arg[1] if template.condition(arg[0]) else arg[2])
    return set().union(*(references(template, value) for value in node.values()))


def dependencies(template: Template, logical: str) -> set[str]:
    """The resources `logical` depends on: those it references, and those its DependsOn names."""
    resource = template.resources[logical]
    depends_on = resource.get("DependsOn") or []
    named = references(template, resource.get("Properties") or {}) | set(
        [depends_on] if isinstance(depends_on, str) else depends_on
    )
    return named & template.resources.keys() - {logical}


def deletion_order(template: Template) -> list[str]:
    """Reverse dependency order: a resource goes once every resource that depends on it is gone. Each
    wave (which CloudFormation may delete at once) is sorted: no resource in it depends on another."""
    present = template.resources
    needs = {logical: dependencies(template, logical) for logical in present}
    order: list[str] = []
    while len(order) < len(present):
        left = [logical for logical in present if logical not in order]
        wave = sorted(logical for logical in left if all(logical not in needs[other] for other in left))
        assert wave, f"circular dependency (CloudFormation refuses the template): {cycle(needs, left)}"
        order.extend(wave)
    return order


def cycle(needs: dict[str, set[str]], among: list[str]) -> str:
    """One loop among resources none of which can go first, to name it: each is needed by another of
    them, so following "needed by" always leads on, and round."""
    path = [min(among)]
    while path.count(path[-1]) < 2:
        path.append(min(other for other in among if path[-1] in needs[other]))
    loop = path[path.index(path[-1]) :]
    return " -> ".join(reversed(loop))  # each depends on the next


def creation_order(template: Template) -> list[str]:
    return deletion_order(template)[::-1]


@dataclass
class Stack:
    """The SNS side of a deployed stack in moto: topics and TopicArchive resources, the rest made up."""

    template: Template
    sns: Any
    answers: Answers
    deleted: list[str] = field(default_factory=list)

    def of_type(self, kind: str) -> list[str]:
        return sorted(self.template.of_type(kind))

    def topic(self, logical: str) -> str:
        return str(self.template.physical[logical]["Ref"])

    def create(self, logical: str) -> None:
        """A topic as its properties say (the KMS key left out), a TopicArchive by the handler's Create."""
        resource = self.template.resources[logical]
        if resource["Type"] == TOPIC:
            props = self.template.resolve({k: v for k, v in resource["Properties"].items() if k != "KmsMasterKeyId"})
            attributes = topic_attributes(props)
            if "ArchivePolicy" in props:
                attributes["ArchivePolicy"] = json.dumps(props["ArchivePolicy"])
            arn = self.sns.create_topic(Name=props["TopicName"], Attributes=attributes)["TopicArn"]
            self.template.physical[logical] = {"Ref": arn, "TopicArn": arn, "TopicName": props["TopicName"]}
        elif resource["Type"] == ARCHIVE:
            topic = self.template.resolve(resource["Properties"]["TopicArn"])
            app.handle(request("Create", self.answers, topic, logical=logical), context(), self.sns)
            assert self.answers.last["Status"] == "SUCCESS"
            self.template.physical[logical] = {"Ref": self.answers.last["PhysicalResourceId"]}

    def delete_all(self, order: list[str]) -> None:
        for logical in order:
            self.delete(logical)

    def create_all(self) -> None:
        for logical in creation_order(self.template):
            self.create(logical)

    def delete(self, logical: str) -> None:
        """A topic by DeleteTopic; a TopicArchive by the handler's Delete, which needs its function, the
        function's role and the grant on its topic still there; anything else is only marked gone."""
        resource = self.template.resources[logical]
        if resource["Type"] == TOPIC:
            self.sns.delete_topic(TopicArn=self.topic(logical))
        elif resource["Type"] == ARCHIVE:
            properties = resource["Properties"]
            function = properties["ServiceToken"]["Fn::GetAtt"][0]
            role = self.template.resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]
            grant = properties["Grant"]["Ref"]
            assert not {function, role, grant} & set(self.deleted), f"{logical} is deleted after what it needs"
            topic = self.template.resolve(properties["TopicArn"])
            granted = self.template.resolve(self.template.resources[grant]["Properties"]["PolicyDocument"])
            assert granted["Statement"][0]["Resource"] == topic
            physical = str(self.template.physical[logical]["Ref"])
            app.handle(request("Delete", self.answers, topic, physical=physical, logical=logical), context(), self.sns)
            assert self.answers.last["Status"] == "SUCCESS", self.answers.last
        self.deleted.append(logical)


def stack(sns: Any, answers: Answers, delivery_mode: str, nouns: str = "POST,REACTION") -> Stack:
    created = Stack(deployed(delivery_mode, nouns), sns, answers)
    created.create_all()
    return created


def test_sam_delete_of_a_fifo_stack_deletes_every_topic(sns: Any, answers: Answers) -> None:
    fifo = stack(sns, answers, "fifo")
    archives = fifo.of_type(ARCHIVE)
    assert archives == ["TopicArchiveOTHER", "TopicArchivePOST", "TopicArchiveREACTION"]
    assert all(sns.refusal.active(fifo.topic(logical)) for logical in fifo.of_type(TOPIC))
    fifo.delete_all(deletion_order(fifo.template))
    assert topics(sns) == set()  # what `sam delete` leaves of SNS: nothing
    assert [body["Status"] for body in answers.bodies] == ["SUCCESS"] * 6  # three Creates, three Deletes


def test_without_the_topic_archive_resources_the_first_topic_is_refused(sns: Any, answers: Answers) -> None:
    """The control: the same order, the TopicArchive resources left out."""
    fifo = stack(sns, answers, "fifo")
    order = [logical for logical in deletion_order(fifo.template) if logical not in fifo.of_type(ARCHIVE)]
    first = next(logical for logical in order if logical in fifo.of_type(TOPIC))
    with pytest.raises(ClientError) as refused:
        fifo.delete_all(order)
    assert (code(refused.value), refused.value.response["Error"]["Message"]) == ("InvalidState", REFUSAL)
    assert not set(fifo.deleted) & set(fifo.of_type(TOPIC))
    assert order[len(fifo.deleted)] == first
    assert topics(sns) == {fifo.topic(logical) for logical in fifo.of_type(TOPIC)}


def update(old: Stack, new: Template) -> None:
    """A stack update as CloudFormation runs it, on the SNS side: new topics and replacements (a changed
    TopicName) are created first; then the cleanup deletes the old template's removed resources and the
    replaced topics' old ones, in reverse dependency order of the old template."""
    replaced = {
        logical
        for logical in set(old.of_type(TOPIC)) & set(new.of_type(TOPIC))
        if old.template.resolve(old.template.resources[logical]["Properties"]["TopicName"])
        != new.resolve(new.resources[logical]["Properties"]["TopicName"])
    }
    updated = Stack(new, old.sns, old.answers)
    for logical in creation_order(new):
        if logical not in old.template.resources or logical in replaced:
            updated.create(logical)
        else:
            new.physical[logical] = old.template.physical[logical]
    going = (old.template.resources.keys() - new.resources.keys()) | replaced
    for logical in deletion_order(old.template):
        if logical in going:
            old.delete(logical)


def test_a_switch_from_fifo_to_standard_deletes_the_old_topics(sns: Any, answers: Answers) -> None:
    fifo = stack(sns, answers, "fifo")
    standard = deployed("standard")
    assert not standard.of_type(ARCHIVE)
    update(fifo, standard)
    old = {fifo.topic(logical) for logical in fifo.of_type(TOPIC)}
    new = {str(standard.physical[logical]["Ref"]) for logical in standard.of_type(TOPIC)}
    assert sorted(arn.rsplit(":", 1)[1] for arn in new) == [
        "community-webhooks-OTHER",
        "community-webhooks-POST",
        "community-webhooks-REACTION",
    ]
    assert not old & new
    assert topics(sns) == new
    assert {"TopicArchiveFunction", *fifo.of_type(ARCHIVE)} <= set(fifo.deleted)


def test_removing_a_noun_from_a_fifo_stack_deletes_its_topic_and_keeps_the_others_archived(
    sns: Any, answers: Answers
) -> None:
    fifo = stack(sns, answers, "fifo")
    fewer = deployed("fifo", "POST")
    update(fifo, fewer)
    assert {logical for logical in fifo.deleted if logical.endswith("REACTION")} == {
        "TopicREACTION",
        "TopicArchiveREACTION",
        "TopicArchiveGrantREACTION",
        "PublishToREACTION",
        "TopicArnParameterREACTION",
        "OperatorPublishREACTION",
        "TopicPolicyREACTION",
    }
    assert set(fifo.deleted) <= {logical for logical in fifo.template.resources if logical.endswith("REACTION")}
    kept = {fifo.topic("TopicPOST"), fifo.topic("CatchAllTopic")}
    assert topics(sns) == kept
    assert all(sns.refusal.active(arn) for arn in kept)  # their archives untouched
