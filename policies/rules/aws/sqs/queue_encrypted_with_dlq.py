"""Every SQS queue is encrypted, and every queue that is not itself a dead-letter queue sends
failed messages to one (a poison message must not loop forever, nor be lost)."""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import StackValidationArgs

from policies.lib import MANDATORY, as_json, known, stack_rule

QUEUE = "aws:sqs/queue:Queue"


def _redrive(queue: Any) -> Any:
    """The queue's redrive policy ({} if none), or None while it is not known (a preview)."""
    return known(lambda: as_json(queue.props.get("redrivePolicy")), default=None)


def check(args: StackValidationArgs, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    queues = [r for r in args.resources if r.resource_type == QUEUE]
    redrives = {q.urn: _redrive(q) for q in queues}
    # dead-letter queues by name (an ARN ends in the name; a new queue's ARN is not known yet)
    targets = {
        str(r.get("deadLetterTargetArn", "")).rsplit(":", 1)[-1]
        for r in redrives.values()
        if isinstance(r, dict)
    }
    all_known = all(r is not None for r in redrives.values())
    for queue in queues:
        props = queue.props
        # an unknown key (created in the same preview) counts as set
        kms = known(lambda p=props: p.get("kmsMasterKeyId"), default="(unknown)")
        sse = known(lambda p=props: p.get("sqsManagedSseEnabled"), default=True)
        if not kms and sse is not True:
            yield f"queue {queue.name} is not encrypted", queue.urn
        if redrives[queue.urn] or not all_known:
            continue  # it has one, or which queues are dead-letter queues is not known yet
        name = known(lambda q=queue: q.props.get("name"), default=None)
        if name is not None and name not in targets:
            yield f"queue {queue.name} has no dead-letter queue (redrivePolicy)", queue.urn


POLICY = stack_rule(
    "aws-sqs-queue-encrypted-with-dlq",
    "SQS queues are encrypted (SSE-KMS or SSE-SQS) and have a dead-letter queue.",
    MANDATORY,
    check,
    "declare the queue under queues in the stack file (components/queues.py gives it a key "
    "and a dead-letter queue)",
)
