"""DeployRunner: a GitHub Actions runner inside the VPC, so CI reaches a private EKS API.

An AWS CodeBuild project in the private subnets registers as a self-hosted GitHub Actions
runner for one repository (CodeBuild "GitHub Actions runner" projects: a ``WORKFLOW_JOB_QUEUED``
webhook starts one build per queued job whose ``runs-on`` label is
``codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}``). Nothing listens on it,
nothing is opened to the internet, there is no bastion and no long-lived instance: a build runs
for the length of one job. The job still takes its AWS credentials from GitHub OIDC (the deploy
role); the runner's own role can only write its logs, attach to the VPC and use the GitHub
connection.

The runner's security group is the only one the cluster security group admits on 443 for
this purpose (see ``EksClusterArgs.api_client_security_group_ids``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from . import versions
from ._util import Statement, policy_document, service_trust_policy

PROJECT_SUFFIX = "deploy-runner"


def workflow_pattern(names: Sequence[str]) -> str:
    """The webhook's WORKFLOW_NAME regular expression: exactly one of ``names``."""
    return "^(" + "|".join(re.escape(n) for n in names) + ")$"


def runs_on_label(project: str) -> str:
    """The ``runs-on`` label a workflow job uses to run on this project's runner."""
    return f"codebuild-{project}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"


@dataclass(frozen=True, kw_only=True)
class DeployRunnerArgs:
    """Inputs; defaults are the production-safe choice."""

    environment: str
    region: str
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[str]]
    """Private subnets (egress through NAT to GitHub, registries and AWS APIs)."""
    repository: str
    """``owner/name`` of the GitHub repository whose workflow jobs this runner takes."""
    connection_arn: str
    """AWS CodeConnections (or CodeStar Connections) connection to GitHub."""
    workflow_names: Sequence[str]
    """Only jobs of these workflows start a build (the webhook's ``WORKFLOW_NAME`` filter):
    the deploy's Kubernetes phase and the nightly drift check (its refresh reads the API)."""
    compute_type: str
    build_image: str = versions.CODEBUILD_RUNNER_IMAGE.version
    timeout_minutes: int = 120
    log_retention_days: int


def runner_statements(
    region: str,
    account: str,
    vpc_id: str,
    subnet_ids: Sequence[str],
    log_group_arn: str,
    connection_arn: str,
) -> list[Statement]:
    """The CodeBuild service role: logs, VPC attachment in this VPC, the GitHub connection."""
    ec2 = f"arn:aws:ec2:{region}:{account}"
    connection_service = connection_arn.split(":")[2]  # codeconnections | codestar-connections
    return [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_group_arn, f"{log_group_arn}:*"],
        },
        {
            "Sid": "DescribeNetwork",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeVpcs",
            ],
            "Resource": "*",
        },
        {
            "Sid": "AttachToThisVpc",
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
            "Resource": [
                f"{ec2}:network-interface/*",
                f"{ec2}:subnet/*",
                f"{ec2}:security-group/*",
            ],
            "Condition": {"StringEquals": {"ec2:Vpc": f"{ec2}:vpc/{vpc_id}"}},
        },
        {
            "Sid": "NetworkInterfacePermissionForCodeBuild",
            "Effect": "Allow",
            "Action": "ec2:CreateNetworkInterfacePermission",
            "Resource": f"{ec2}:network-interface/*",
            "Condition": {
                "StringEquals": {
                    "ec2:Subnet": [f"{ec2}:subnet/{s}" for s in subnet_ids],
                    "ec2:AuthorizedService": "codebuild.amazonaws.com",
                }
            },
        },
        {
            "Sid": "UseTheGitHubConnection",
            "Effect": "Allow",
            "Action": [
                f"{connection_service}:GetConnection",
                f"{connection_service}:GetConnectionToken",
                f"{connection_service}:UseConnection",
            ],
            "Resource": connection_arn,
        },
    ]


class DeployRunner(pulumi.ComponentResource):
    """A CodeBuild-hosted GitHub Actions runner in the VPC's private subnets."""

    security_group_id: pulumi.Output[str]
    project_name: pulumi.Output[str]
    runs_on: str

    def __init__(
        self, name: str, args: DeployRunnerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:DeployRunner", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        project = f"{args.environment}-{PROJECT_SUFFIX}"
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))

        self.security_group = self._security_group(name, args, project)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/codebuild/{project}",
            retention_in_days=args.log_retention_days,
            opts=child,
        )
        role, policy = self._identity(name, args, project, account, log_group)
        self.project = aws.codebuild.Project(
            f"{name}-project",
            name=project,
            description=(
                f"GitHub Actions runner for {args.repository} ({', '.join(args.workflow_names)})"
            ),
            service_role=role.arn,
            build_timeout=args.timeout_minutes,
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                type="LINUX_CONTAINER",
                compute_type=args.compute_type,
                image=args.build_image,
                image_pull_credentials_type="CODEBUILD",
            ),
            source=aws.codebuild.ProjectSourceArgs(
                type="GITHUB",
                location=f"https://github.com/{args.repository}.git",
                auth=aws.codebuild.ProjectSourceAuthArgs(
                    type="CODECONNECTIONS", resource=args.connection_arn
                ),
            ),
            vpc_config=aws.codebuild.ProjectVpcConfigArgs(
                vpc_id=args.vpc_id,
                subnets=args.subnet_ids,
                security_group_ids=[self.security_group.id],
            ),
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(
                    group_name=log_group.name, status="ENABLED"
                ),
                s3_logs=aws.codebuild.ProjectLogsConfigS3LogsArgs(status="DISABLED"),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        aws.codebuild.Webhook(
            f"{name}-webhook",
            project_name=self.project.name,
            build_type="BUILD",
            filter_groups=[
                aws.codebuild.WebhookFilterGroupArgs(
                    filters=[
                        aws.codebuild.WebhookFilterGroupFilterArgs(
                            type="EVENT", pattern="WORKFLOW_JOB_QUEUED"
                        ),
                        aws.codebuild.WebhookFilterGroupFilterArgs(
                            type="WORKFLOW_NAME", pattern=workflow_pattern(args.workflow_names)
                        ),
                    ]
                )
            ],
            opts=child,
        )
        self.security_group_id = self.security_group.id
        self.project_name = self.project.name
        self.runs_on = runs_on_label(project)
        self.register_outputs(
            {"projectName": self.project_name, "securityGroupId": self.security_group_id}
        )

    def _security_group(
        self, name: str, args: DeployRunnerArgs, project: str
    ) -> aws.ec2.SecurityGroup:
        child = pulumi.ResourceOptions(parent=self)
        return aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"GitHub Actions runner {project}: HTTPS out only, nothing in",
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=["0.0.0.0/0"],
                    description="GitHub, registries, AWS APIs, the EKS API",
                )
            ],
            tags={"Name": project},
            opts=child,
        )

    def _identity(
        self,
        name: str,
        args: DeployRunnerArgs,
        project: str,
        account: Any,
        log_group: aws.cloudwatch.LogGroup,
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        """The CodeBuild service role: its logs, this VPC, the GitHub connection; nothing else."""
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-role",
            description=f"CodeBuild service role of the {project} GitHub Actions runner",
            assume_role_policy=account.account_id.apply(
                lambda a: service_trust_policy("codebuild.amazonaws.com", a)
            ),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.all(
                account.account_id, args.vpc_id, args.subnet_ids, log_group.arn
            ).apply(
                lambda a: policy_document(
                    *runner_statements(args.region, a[0], a[1], a[2], a[3], args.connection_arn)
                )
            ),
            opts=child,
        )
        return role, policy
