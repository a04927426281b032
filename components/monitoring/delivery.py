"""How alerts leave the cluster besides Slack and PagerDuty: email through Amazon SES, and a
heartbeat that is noticed when it stops.

**Email.** Alertmanager sends through SES's SMTP interface in the stack's region
(``email-smtp.<region>.amazonaws.com:587``, STARTTLS required) as a verified sender identity.
The SMTP login is an IAM user that may only ``ses:SendRawEmail`` as that sender; its password
is derived by the provider from the user's access key (``ses_smtp_password_v4``, a secret in
state), kept in Secrets Manager as ``<env>/generated/alertmanager-smtp-password`` and mounted into
Alertmanager like the other receiver secrets (``smtp_auth_password_file``). It never appears
in config, in the Alertmanager document or in plain outputs. Bumping
``monitoring.smtpCredentialsRotation`` makes a new key (create before delete): the next
notification reads the new password.

**Heartbeat.** ``Watchdog`` always fires while Prometheus evaluates rules and Alertmanager
routes them. It is published every minute to an SNS topic (Alertmanager's own role, IRSA: only
``sns:Publish`` on that topic); a CloudWatch alarm, outside the cluster, goes off when the
topic has received nothing for 15 minutes and notifies the alarm topic (the on-call's email).
A dead Prometheus, a dead Alertmanager or a broken route is noticed without a third party.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..iam_roles import OidcProvider, service_account_role

SMTP_PORT = 587
HEARTBEAT_PERIOD_SECONDS = 300
HEARTBEAT_MISSING_PERIODS = 3
"""The alarm fires after 3 x 5 minutes without a Watchdog notification."""


def smtp_host(region: str) -> str:
    """SES's SMTP endpoint in ``region`` (SES SMTP endpoints, SES Developer Guide)."""
    return f"email-smtp.{region}.amazonaws.com:{SMTP_PORT}"


@dataclass(frozen=True)
class SmtpLogin:
    username: pulumi.Output[str]
    """The access key id (the SMTP user name; not a secret)."""
    password_secret_arn: pulumi.Output[str]
    """Secrets Manager secret holding the SMTP password."""
    version: pulumi.Resource
    """Its value (the ExternalSecret reads it only after it exists)."""


def ses_smtp_login(
    name: str,
    *,
    environment: str,
    sender: str,
    rotation: int,
    parent: pulumi.Resource,
) -> SmtpLogin:
    """The sender identity and an SMTP login that can send as it and nothing else."""
    child = pulumi.ResourceOptions(parent=parent)
    identity = aws.sesv2.EmailIdentity(f"{name}-sender", email_identity=sender, opts=child)
    user = aws.iam.User(
        f"{name}-smtp",
        name=f"{environment}-alertmanager-smtp",
        path="/platform/",
        tags={"purpose": "Alertmanager email through SES SMTP"},
        opts=child,
    )
    aws.iam.UserPolicy(
        f"{name}-smtp",
        user=user.name,
        policy=identity.arn.apply(lambda arn: _send_as(arn, sender)),
        opts=child,
    )
    key = aws.iam.AccessKey(
        f"{name}-smtp-{rotation}",
        user=user.name,
        # the provider derives the SMTP password for its own region: the stack's
        opts=child,
    )
    secret = aws.secretsmanager.Secret(
        f"{name}-smtp-password",
        name=f"{environment}/generated/alertmanager-smtp-password",
        description=f"SES SMTP password of {environment}'s Alertmanager (made by the program)",
        recovery_window_in_days=7,
        opts=child,
    )
    version = aws.secretsmanager.SecretVersion(
        f"{name}-smtp-password",
        secret_id=secret.id,
        secret_string=key.ses_smtp_password_v4,
        opts=child,
    )
    return SmtpLogin(username=key.id, password_secret_arn=secret.arn, version=version)


def _send_as(identity_arn: str, sender: str) -> str:
    """Send as the sender only. The resource is every identity of the account and region:
    in the SES sandbox a send is also authorised against each *recipient's* verified
    identity, so the sender's ARN alone is denied there (554 "not authorized to perform
    ses:SendRawEmail on resource ...:identity/<recipient>")."""
    from .._util import policy_document

    return policy_document(
        {
            "Sid": "SendAlertsAsTheSender",
            "Effect": "Allow",
            "Action": "ses:SendRawEmail",
            "Resource": identity_arn.rsplit("/", 1)[0] + "/*",
            "Condition": {"StringEquals": {"ses:FromAddress": sender}},
        }
    )


HEARTBEAT_TOPIC_SUFFIX = "-alertmanager-heartbeat"


def heartbeat_topic_name(environment: str) -> str:
    return f"{environment}{HEARTBEAT_TOPIC_SUFFIX}"


@dataclass(frozen=True)
class Heartbeat:
    topic_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    """Alertmanager's IRSA role (annotate its service account with it)."""


def heartbeat(
    name: str,
    *,
    environment: str,
    oidc: OidcProvider,
    namespace: str,
    service_account: str,
    parent: pulumi.Resource,
) -> Heartbeat:
    """The heartbeat topic and Alertmanager's role to publish to it (the alarm on its
    silence is :func:`silence_alarm`, made with the other alarms)."""
    topic = aws.sns.Topic(
        f"{name}-heartbeat",
        name=heartbeat_topic_name(environment),
        # the AWS-managed key: SNS encrypts, and a publisher needs no KMS permission of its own
        kms_master_key_id="alias/aws/sns",
        opts=pulumi.ResourceOptions(parent=parent),
    )
    role = service_account_role(
        f"{name}-alertmanager",
        oidc=oidc,
        namespace=namespace,
        service_account=service_account,
        statements=topic.arn.apply(
            lambda arn: [
                {
                    "Sid": "PublishHeartbeat",
                    "Effect": "Allow",
                    "Action": "sns:Publish",
                    "Resource": arn,
                }
            ]
        ),
        parent=parent,
    )
    return Heartbeat(topic_arn=topic.arn, role_arn=role.arn)


def silence_alarm(
    name: str,
    *,
    environment: str,
    alarm_topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    """Fires when the heartbeat topic received nothing for 15 minutes (missing data is a
    breach: a topic nobody publishes to has no datapoints at all)."""
    return aws.cloudwatch.MetricAlarm(
        f"{name}-heartbeat-silent",
        name=f"{environment}-alerting-heartbeat-silent",
        alarm_description=(
            "No Watchdog notification for 15 minutes: Prometheus, Alertmanager or the "
            "route to the heartbeat is down, so no other alert would reach anyone either."
        ),
        namespace="AWS/SNS",
        metric_name="NumberOfMessagesPublished",
        dimensions={"TopicName": heartbeat_topic_name(environment)},
        statistic="Sum",
        comparison_operator="LessThanThreshold",
        threshold=1,
        period=HEARTBEAT_PERIOD_SECONDS,
        evaluation_periods=HEARTBEAT_MISSING_PERIODS,
        treat_missing_data="breaching",
        alarm_actions=[alarm_topic_arn],
        ok_actions=[alarm_topic_arn],
        opts=pulumi.ResourceOptions(parent=parent),
    )
