"""SQS queues (issue #21, queues): a dead-letter queue and SSE-KMS each, alarms, URLs as
config, and each workload's role holding exactly its queues' actions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.queues import CONSUME_ACTIONS, SEND_ACTIONS
from tests.conftest import EXAMPLES, planned, run_stack_config, stack_config
from tools.offline.harness import PlanResult

MARKETPLACE = next(p for p in EXAMPLES if p.name == "Pulumi.marketplace.yaml")


@pytest.fixture(scope="module")
def marketplace() -> PlanResult:
    return planned(MARKETPLACE)


def _queues(plan: PlanResult) -> dict[str, Any]:
    return {q.inputs["name"]: q for q in plan.graph.of_type("aws:sqs/queue:Queue")}


def test_each_queue_has_a_dead_letter_queue_and_its_own_key(marketplace: PlanResult) -> None:
    queues = _queues(marketplace)
    main, dlq = queues["marketplace-notifications"], queues["marketplace-notifications-dlq"]
    redrive = json.loads(main.inputs["redrivePolicy"])
    assert redrive == {"deadLetterTargetArn": dlq.outputs["arn"], "maxReceiveCount": 5}
    assert main.inputs["visibilityTimeoutSeconds"] == 120
    keys = {k.outputs["arn"] for k in marketplace.graph.of_type("aws:kms/key:Key")}
    assert main.inputs["kmsMasterKeyId"] == dlq.inputs["kmsMasterKeyId"]
    assert main.inputs["kmsMasterKeyId"] in keys
    (allow,) = marketplace.graph.of_type("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy")
    assert json.loads(allow.inputs["redriveAllowPolicy"]) == {
        "redrivePermission": "byQueue", "sourceQueueArns": [main.outputs["arn"]]
    }  # fmt: skip


def _grant(plan: PlanResult, workload: str) -> dict[str, dict[str, Any]]:
    policy = plan.graph.named(f"marketplace-app-{workload}-role", "aws:iam/rolePolicy:RolePolicy")
    return {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}


def test_each_workload_holds_exactly_its_queues_actions(marketplace: PlanResult) -> None:
    arn = _queues(marketplace)["marketplace-notifications"].outputs["arn"]
    sender, consumer = _grant(marketplace, "orders"), _grant(marketplace, "notifier")
    assert set(sender) == {"SendToQueues", "QueueKeyViaSqs"}
    assert (sender["SendToQueues"]["Action"], sender["SendToQueues"]["Resource"]) == (
        list(SEND_ACTIONS), [arn]
    )  # fmt: skip
    # the consumer cannot send (to this queue or any other), nor encrypt
    assert set(consumer) == {"ConsumeQueues", "QueueKeyViaSqs"}
    assert consumer["ConsumeQueues"]["Action"] == list(CONSUME_ACTIONS)
    assert "sqs:SendMessage" not in consumer["ConsumeQueues"]["Action"]
    assert consumer["QueueKeyViaSqs"]["Action"] == ["kms:Decrypt"]
    assert consumer["QueueKeyViaSqs"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "sqs.us-west-2.amazonaws.com"}
    }
    # a workload without queues gets no queue action
    assert marketplace.graph.named(
        "marketplace-app-search-role", "aws:iam/role:Role"
    )  # exists, and
    assert not any(
        p.name == "marketplace-app-search-role"
        for p in marketplace.graph.of_type("aws:iam/rolePolicy:RolePolicy")
    )


def test_queue_urls_reach_the_workloads_as_config(marketplace: PlanResult) -> None:
    (config,) = [
        c for c in marketplace.graph.of_type("kubernetes:core/v1:ConfigMap")
        if c.inputs["metadata"]["name"] == "app-config"
    ]  # fmt: skip
    url = _queues(marketplace)["marketplace-notifications"].outputs["url"]
    assert config.inputs["data"]["QUEUE_NOTIFICATIONS_URL"] == url


def test_dead_letters_and_old_messages_alarm(marketplace: PlanResult) -> None:
    alarms = {
        a.inputs["name"]: a
        for a in marketplace.graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    dlq = alarms["marketplace-notifications-dlq-not-empty"]
    assert (dlq.inputs["metricName"], dlq.inputs["threshold"]) == (
        "ApproximateNumberOfMessagesVisible", 0
    )  # fmt: skip
    old = alarms["marketplace-notifications-oldest-message"]
    assert (old.inputs["metricName"], old.inputs["threshold"]) == (
        "ApproximateAgeOfOldestMessage", 600
    )  # fmt: skip


def test_a_queue_a_workload_names_must_be_declared() -> None:
    config = stack_config("production")
    config["platform:apps"]["workloads"]["worker"]["queues"] = {"consume": ["emails"]}
    result = run_stack_config(config, "production")
    assert result.error is not None
    assert "apps.workloads.worker.queues.consume: emails not declared under queues" in (
        result.error
    )


@pytest.mark.parametrize(
    ("queues", "fragments"),
    [
        ({"jobs": {}, "jobs-dlq": {}}, ["platform:queues", "may not end in -dlq"]),
        ({"jobs": {"retentionDays": 14}}, ["platform:queues.jobs.retentionDays",
                                           "less than or equal to 13"]),
        ({"jobs": {"maxAgeSeconds": 2_000_000}}, ["platform:queues.jobs",
                                                  "the alarm could never fire"]),
    ],
)  # fmt: skip
def test_bad_queue_config(queues: dict[str, Any], fragments: list[str]) -> None:
    config = stack_config("production")
    config["platform:queues"] = queues
    result = run_stack_config(config, "production")
    assert result.error is not None
    for fragment in fragments:
        assert fragment in result.error, result.error
