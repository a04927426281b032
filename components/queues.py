"""Queues: SQS queues for background work, each with a dead-letter queue.

Every queue of the stack file's ``queues`` gets:

- a dead-letter queue (``<env>-<name>-dlq``, 14 days), which only its own queue may redrive
  into (``redrive_allow_policy``);
- the queue (``<env>-<name>``) with a redrive policy: a message received ``maxReceives`` times
  without being deleted moves to the DLQ instead of looping forever;
- SSE-KMS under one customer-managed key of the stack's queues;
- alarms (``monitoring/alarms.py``): any message in the DLQ, and the oldest message older than
  ``maxAgeSeconds`` (the consumers are not keeping up).

A workload names the queues it ``send``s to and ``consume``s from; its role gets exactly those
actions on exactly those queues (:func:`access_statements`). Every queue's URL reaches the
workloads as ``QUEUE_<NAME>_URL`` in the namespace's ConfigMap.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws
from pydantic import Field, model_validator

from ._util import Statement
from .kms import customer_managed_key
from .settings import Settings

DLQ_RETENTION_SECONDS = 14 * 24 * 3600
Access = Literal["send", "consume"]
SEND_ACTIONS = ("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")
CONSUME_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
)


class QueueSettings(Settings):
    """One queue of the stack file's ``queues``."""

    visibility_timeout_seconds: int = Field(default=300, ge=0, le=43_200)
    """How long a received message stays hidden (longer than the slowest job's run)."""
    retention_days: int = Field(default=4, ge=1, le=13)
    """Days an unconsumed message is kept (below the dead-letter queue's 14: a message keeps
    its enqueue time when it is dead-lettered)."""
    max_receives: int = Field(default=5, ge=1, le=1000)
    """Receives before a message moves to the dead-letter queue."""
    max_age_seconds: int = Field(default=900, ge=60)
    """The oldest message's age that alarms (the consumers are behind)."""
    fifo: bool = False
    """A FIFO queue (ordered, exactly-once per message group); its name ends in ``.fifo``."""

    @model_validator(mode="after")
    def _age_within_retention(self) -> QueueSettings:
        if self.max_age_seconds >= self.retention_days * 86_400:
            raise ValueError(
                f"maxAgeSeconds {self.max_age_seconds} is not below the retention "
                f"({self.retention_days} days): the alarm could never fire"
            )
        return self


def queue_name(environment: str, name: str, settings: QueueSettings, *, dlq: bool = False) -> str:
    base = f"{environment}-{name}{'-dlq' if dlq else ''}"
    return f"{base}.fifo" if settings.fifo else base


def env_name(queue: str) -> str:
    """``QUEUE_<NAME>_URL``: the variable holding a queue's URL."""
    return f"QUEUE_{queue.upper().replace('-', '_')}_URL"


@dataclass(frozen=True)
class Queue:
    name: str
    """The physical name (``<env>-<name>``)."""
    url: pulumi.Output[str]
    arn: pulumi.Output[str]
    dlq_name: str
    settings: QueueSettings


def access_statements(grants: Sequence[tuple[str, Access]], key_arn: str) -> list[Statement]:
    """Exactly ``send`` or ``consume`` actions on exactly the granted queues (ARNs), and the
    key as SQS uses it on their behalf."""
    send = sorted({arn for arn, access in grants if access == "send"})
    consume = sorted({arn for arn, access in grants if access == "consume"})
    statements: list[Statement] = []
    if send:
        statements.append(
            {"Sid": "SendToQueues", "Effect": "Allow", "Action": list(SEND_ACTIONS),
             "Resource": send}
        )  # fmt: skip
    if consume:
        statements.append(
            {"Sid": "ConsumeQueues", "Effect": "Allow", "Action": list(CONSUME_ACTIONS),
             "Resource": consume}
        )  # fmt: skip
    if statements:
        region = key_arn.split(":")[3]
        statements.append(
            {
                "Sid": "QueueKeyViaSqs",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"] if send else ["kms:Decrypt"],
                "Resource": key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"sqs.{region}.amazonaws.com"}},
            }
        )
    return statements


def _redrive(dlq_arn: str, *, max_receives: int) -> str:
    return json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives})


@dataclass(frozen=True, kw_only=True)
class QueuesArgs:
    environment: str
    queues: Mapping[str, QueueSettings]
    protect: bool = True
    """``protect`` (and ``retain_on_delete``) on the key: messages stay readable."""


class Queues(pulumi.ComponentResource):
    """The stack's queues and their dead-letter queues."""

    queues: dict[str, Queue]
    key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: QueuesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:Queues", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        env = args.environment
        key = customer_managed_key(
            f"{name}-key", f"SQS queues of {env}", parent=self, protect=args.protect
        )
        self.key_arn = key.arn
        self.queues = {}
        for queue, settings in sorted(args.queues.items()):
            fifo = settings.fifo or None
            dlq_name = queue_name(env, queue, settings, dlq=True)
            dlq = aws.sqs.Queue(
                f"{name}-{queue}-dlq",
                name=dlq_name,
                message_retention_seconds=DLQ_RETENTION_SECONDS,
                fifo_queue=fifo,
                kms_master_key_id=key.arn,
                kms_data_key_reuse_period_seconds=300,
                opts=child,
            )
            main_name = queue_name(env, queue, settings)
            main = aws.sqs.Queue(
                f"{name}-{queue}",
                name=main_name,
                visibility_timeout_seconds=settings.visibility_timeout_seconds,
                message_retention_seconds=settings.retention_days * 24 * 3600,
                redrive_policy=dlq.arn.apply(
                    functools.partial(_redrive, max_receives=settings.max_receives)
                ),
                fifo_queue=fifo,
                kms_master_key_id=key.arn,
                kms_data_key_reuse_period_seconds=300,
                opts=child,
            )
            aws.sqs.RedriveAllowPolicy(
                f"{name}-{queue}-dlq",
                queue_url=dlq.url,
                redrive_allow_policy=main.arn.apply(
                    lambda arn: json.dumps(
                        {"redrivePermission": "byQueue", "sourceQueueArns": [arn]}
                    )
                ),
                opts=child,
            )
            self.queues[queue] = Queue(main_name, main.url, main.arn, dlq_name, settings)
        self.register_outputs({"queues": {q: v.url for q, v in self.queues.items()}})
