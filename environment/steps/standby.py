"""Step 7 (a standby only): the failover records that send the public hosts here when the
primary is down, or when the standby was promoted; and the check that every image the
standby pulls from its own region's ECR replica is there."""

from __future__ import annotations

import re

import pulumi
import pulumi_aws as aws

from components.dns_failover import AliasTarget, DnsFailover, DnsFailoverArgs

from .apps import Product
from .context import Context


def failover_dns(ctx: Context, app: Product) -> DnsFailover | None:
    standby = ctx.cfg.standby
    if standby is None or standby.dns is None or ctx.primary is None or app.alb is None:
        return None
    alb = app.alb
    check = standby.dns.health_check
    return DnsFailover(
        f"{ctx.env}-failover",
        DnsFailoverArgs(
            environment=ctx.env,
            primary_environment=standby.primary_stack,
            hosts=ctx.cfg.apps.ingress.hosts,
            zone_id=standby.dns.hosted_zone.id,
            primary=AliasTarget(
                dns_name=ctx.primary.require_output("loadBalancerDnsName"),
                zone_id=ctx.primary.require_output("loadBalancerZoneId"),
            ),
            standby=AliasTarget(dns_name=alb.dns_name, zone_id=alb.zone_id),
            request_interval_seconds=check.request_interval_seconds,
            failure_threshold=check.failure_threshold,
            failed_over=standby.promoted,
        ),
        # a promoted standby flips DNS only once its workloads run at full size
        opts=ctx.aws_opts.merge(pulumi.ResourceOptions(depends_on=list(app.deployments.values()))),
    )


def replicated_images(ctx: Context) -> list[pulumi.Output[str]]:
    """Look up each image the standby takes from its own region's ECR (``ecrReplica``): ECR
    replication copies only what is pushed after its rule exists, so a missing image fails
    this stack's preview, naming it, not the failover's ``up`` when it scales."""
    standby = ctx.cfg.standby
    if standby is None or not standby.ecr_replica:
        return []
    registry = re.compile(
        rf"^(\d{{12}})\.dkr\.ecr\.{re.escape(ctx.cfg.region)}\.amazonaws\.com/"
        r"([^:@]+)(?::([^@]+))?(?:@(.+))?$"
    )
    found = []
    for image in sorted({w.image for w in ctx.cfg.apps.workloads.values()}):
        match = registry.match(image)
        if match is None:
            continue
        account, repository, tag, digest = match.groups()
        if tag is None and digest is None:
            continue  # unpinned: nothing to look up (production requires pinned images)
        found.append(
            aws.ecr.get_image_output(
                registry_id=account,
                repository_name=repository,
                # a digest names the image exactly, even next to a tag
                image_digest=digest,
                image_tag=tag if digest is None else None,
                opts=ctx.invoke_opts,
            ).image_digest
        )
    return found
