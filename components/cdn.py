"""Cdn: a CloudFront distribution in front of the public ALB (``apps.ingress.cdn``).

- **Origin**: the ALB, HTTPS only (TLS 1.2), the viewer's ``Host`` forwarded (AllViewer), so
  the Ingress's host rules match and the ALB's certificate for that host passes CloudFront's
  check. The ALB cannot be reached around the CDN: its listener admits only CloudFront's
  origin-facing prefix list (``security-group-prefix-lists``; HTTPS only, because the list
  weighs 55 rules per port), and every rule requires the distribution's secret header
  (``X-Origin-Verify``; other requests get the listener's 404). The prefix list admits every
  distribution; the header admits only this one.
- **Caching**: the default behaviour (the application, its API) is never cached
  (CachingDisabled); ``staticPaths`` are served from a private static bucket through Origin
  Access Control and cached long (CachingOptimized). Security headers on every response.
- **TLS**: viewers TLS 1.2+ (``minimumProtocolVersion``), SNI, HTTP/2 and HTTP/3, a certificate
  in us-east-1 covering every host (given, or issued in ``hostedZone``).
- **WAF**: with ``waf``, a web ACL of scope CLOUDFRONT (us-east-1), the same managed groups and
  rate rule as the ALB's.
- **Logs**: standard logging v2 into a CloudWatch log group in us-east-1, ``logRetentionDays``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import pulumi
import pulumi_aws as aws
import pulumi_random as random
from pydantic import Field, field_validator

from ._util import Statement, policy_document
from .buckets import Lifecycle, secure_bucket, tls_only_statement
from .certificates import validation_record
from .settings import Settings
from .web_firewall import FirewallSettings, WebFirewall, WebFirewallArgs

ORIGIN_HEADER = "X-Origin-Verify"
"""The header CloudFront adds to every origin request; the ALB's rules require its value."""
ORIGIN_FACING_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"
"""AWS managed cache, origin request and response headers policies (CloudFront Developer
Guide, "Use managed ... policies")."""
ALB_ORIGIN, STATIC_ORIGIN = "alb", "static"
SANS_PER_CERTIFICATE = 10
"""ACM's default quota of domain names per certificate (raisable to 100)."""
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]


class CdnSettings(Settings):
    """CloudFront in front of the ALB; the stack file's ``apps.ingress.cdn``."""

    certificate_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]+$"
    )
    """An ACM certificate in us-east-1 covering every host (CloudFront reads only that region);
    None: issued in ``apps.ingress.hostedZone``."""
    static_paths: tuple[str, ...] = ()
    """Path patterns (``/static/*``) served from the static bucket and cached long."""
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = "PriceClass_100"
    """Edge locations: 100 = North America and Europe (cheapest)."""
    minimum_protocol_version: Literal["TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"] = (
        "TLSv1.2_2021"
    )
    """Viewer TLS policy."""
    waf: FirewallSettings | None = None
    """A CLOUDFRONT web ACL (managed groups, a rate limit per client IP)."""
    log_retention_days: int = Field(default=90, ge=1, le=3653)
    """Days the access logs are kept."""
    origin_secret_rotation: int = Field(default=0, ge=0)
    """Bump to replace the origin header's secret: the ALB accepts the new and the previous
    value while CloudFront rolls the new one out (minutes); bump twice to retire a leaked
    value."""
    lock_origin: bool = True
    """The ALB admits only CloudFront (prefix list, HTTPS, the secret header). Set false for
    the first ``pulumi up`` that adds the CDN to a live stack (the ALB stays open while the
    distribution deploys and DNS moves to it), then true once DNS has moved."""

    @field_validator("static_paths")
    @classmethod
    def _patterns(cls, paths: tuple[str, ...]) -> tuple[str, ...]:
        for path in paths:
            if not path.startswith("/") or not all(c.isalnum() or c in "/-_.*~" for c in path):
                raise ValueError(
                    f"{path!r} is not a CloudFront path pattern (/static/*: letters, digits, "
                    "/ - _ . * ~)"
                )
        return paths


@dataclass(frozen=True)
class OriginGuard:
    """What the ALB needs to admit only this distribution."""

    prefix_list_id: pulumi.Input[str]
    header: str
    secret: pulumi.Output[str]
    """The value CloudFront sends."""
    accepted: pulumi.Output[list[str]]
    """The values the ALB accepts: the current one, and during a rotation the previous."""
    locked: bool
    """False: the ALB stays open (the CDN's first rollout on a live stack)."""


def origin_guard(
    name: str,
    settings: CdnSettings,
    opts: pulumi.ResourceOptions,
    invoke: pulumi.InvokeOutputOptions,
) -> OriginGuard:
    """CloudFront's origin-facing prefix list (in the ALB's region) and random header values
    kept (secret) in state, one per rotation: the current and the previous one live."""
    rotation = settings.origin_secret_rotation
    secrets = [
        random.RandomPassword(f"{name}-origin-secret-{n}", length=40, special=False, opts=opts)
        for n in sorted({rotation, max(rotation - 1, 0)}, reverse=True)
    ]
    prefix_list = aws.ec2.get_managed_prefix_list_output(
        name=ORIGIN_FACING_PREFIX_LIST, opts=invoke
    )
    return OriginGuard(
        prefix_list.id,
        ORIGIN_HEADER,
        secrets[0].result,
        pulumi.Output.all(*(s.result for s in secrets)),
        settings.lock_origin,
    )


def _read_by_cloudfront(bucket_arn: str, distribution_arn: str) -> list[Statement]:
    return [
        {
            "Sid": "CloudFrontOriginAccessControl",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": f"{bucket_arn}/*",
            "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
        }
    ]


@dataclass(frozen=True, kw_only=True)
class CdnArgs:
    environment: str
    settings: CdnSettings
    hosts: Sequence[str]
    origin_domain: pulumi.Input[str]
    """The ALB's DNS name."""
    guard: OriginGuard
    zone_id: str | None
    """Issue the certificate in this zone (when ``settings.certificate_arn`` is None)."""
    zone_records_exist: Sequence[pulumi.Resource]
    """The zone already holds the hosts' validation records (the ALB's certificates made
    them; ACM uses one record per name in every region): wait for these, add none."""
    global_provider: aws.Provider
    """us-east-1: the certificate, the CLOUDFRONT web ACL, the logs."""
    regional_provider: aws.Provider
    """The stack's region: the static bucket."""
    protect: bool


class Cdn(pulumi.ComponentResource):
    """The distribution, its certificate, web ACL, static bucket and logs."""

    distribution: aws.cloudfront.Distribution

    def __init__(self, name: str, args: CdnArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:components:Cdn", name, None, opts)
        s = args.settings
        glob = pulumi.ResourceOptions(parent=self, provider=args.global_provider)
        certificate = s.certificate_arn or self._certificate(name, args)
        acl = None
        if s.waf is not None:
            acl = WebFirewall(
                f"{name}-waf",
                WebFirewallArgs(environment=args.environment, settings=s.waf, scope="CLOUDFRONT"),
                opts=pulumi.ResourceOptions(parent=self, providers=[args.global_provider]),
            ).acl_arn
        origins: list[Any] = [
            {
                "origin_id": ALB_ORIGIN,
                "domain_name": args.origin_domain,
                "custom_origin_config": {
                    "http_port": 80,
                    "https_port": 443,
                    "origin_protocol_policy": "https-only",
                    "origin_ssl_protocols": ["TLSv1.2"],
                    "origin_read_timeout": 60,
                    "origin_keepalive_timeout": 5,
                },
                "custom_headers": [{"name": args.guard.header, "value": args.guard.secret}],
            }
        ]
        static = self._static_origin(name, args) if s.static_paths else None
        if static is not None:
            origins.append(static[1])
        self.distribution = aws.cloudfront.Distribution(
            name,
            enabled=True,
            comment=f"{args.environment}: CDN in front of the public ALB",
            aliases=sorted(args.hosts),
            origins=cast(Any, origins),
            # the application and its API: never cached, every viewer header to the ALB
            default_cache_behavior=cast(
                Any, _behavior(ALB_ORIGIN, CACHING_DISABLED, ALL_VIEWER, ALL_METHODS)
            ),
            ordered_cache_behaviors=cast(
                Any,
                [
                    {
                        **_behavior(
                            STATIC_ORIGIN, CACHING_OPTIMIZED, None, ["GET", "HEAD", "OPTIONS"]
                        ),
                        "path_pattern": path,
                    }
                    for path in s.static_paths
                ],
            ),
            viewer_certificate=cast(
                Any,
                {
                    "acm_certificate_arn": certificate,
                    "ssl_support_method": "sni-only",
                    "minimum_protocol_version": s.minimum_protocol_version,
                },
            ),
            restrictions=cast(Any, {"geo_restriction": {"restriction_type": "none"}}),
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class=s.price_class,
            web_acl_id=acl,
            opts=glob,
        )
        if static is not None:
            self._static_policy(static[0], args.regional_provider)
        self._logs(name, args)
        if args.zone_id is not None:
            self._dns(name, args)
        self.register_outputs(
            {"domainName": self.distribution.domain_name, "distributionId": self.distribution.id}
        )

    def _certificate(self, name: str, args: CdnArgs) -> pulumi.Output[str]:
        """One certificate in us-east-1 for every host (CloudFront takes one), validated in the
        zone; its records are the ALB certificates' when those exist (same name and value)."""
        if args.zone_id is None:
            raise ValueError("the CDN's certificate needs certificateArn or a hosted zone")
        glob = pulumi.ResourceOptions(parent=self, provider=args.global_provider)
        hosts = sorted(set(args.hosts))
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=hosts[0],
            subject_alternative_names=hosts[1:] or None,
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            opts=glob,
        )
        fqdns: list[pulumi.Output[str]] = []
        if not args.zone_records_exist:
            # x and *.x share one record: write it once
            first = {h.removeprefix("*."): h for h in reversed(hosts)}
            fqdns = [
                validation_record(f"{name}-{host}", certificate, host, args.zone_id, glob).fqdn
                for host in sorted(first.values())
            ]
        validation = aws.acm.CertificateValidation(
            f"{name}-certificate",
            certificate_arn=certificate.arn,
            validation_record_fqdns=fqdns or None,
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.global_provider, depends_on=list(args.zone_records_exist)
            ),
        )
        return validation.certificate_arn

    def _dns(self, name: str, args: CdnArgs) -> None:
        """Every host points at the distribution (A and AAAA aliases): the ALB no longer
        answers anyone else."""
        for host in sorted(set(args.hosts)):
            for kind in ("A", "AAAA"):
                aws.route53.Record(
                    f"{name}-{host}-{kind.lower()}",
                    zone_id=cast(str, args.zone_id),
                    name=host,
                    type=kind,
                    aliases=[
                        {
                            "name": self.distribution.domain_name,
                            "zone_id": self.distribution.hosted_zone_id,
                            "evaluate_target_health": False,
                        }
                    ],
                    opts=pulumi.ResourceOptions(parent=self, provider=args.global_provider),
                )

    def _static_origin(self, name: str, args: CdnArgs) -> tuple[aws.s3.Bucket, dict[str, Any]]:
        """A private bucket for the static paths, read by this distribution only (OAC, SigV4).
        SSE-S3: the files are public through the CDN, and OAC reads SSE-KMS objects only with
        a key policy naming the distribution. Its policy comes with the distribution."""
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        bucket = secure_bucket(
            f"{name}-static",
            bucket_name=account.account_id.apply(lambda a: f"{args.environment}-static-{a}"),
            parent=self,
            protect=args.protect,
            lifecycle=Lifecycle(transition_days=None, noncurrent_days=30),
            provider=args.regional_provider,
            with_policy=False,
        )
        oac = aws.cloudfront.OriginAccessControl(
            f"{name}-static",
            name=f"{args.environment}-static",
            description=f"CloudFront reads the static bucket of {args.environment}",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=pulumi.ResourceOptions(parent=self, provider=args.global_provider),
        )
        origin = {
            "origin_id": STATIC_ORIGIN,
            "domain_name": bucket.bucket_regional_domain_name,
            "origin_access_control_id": oac.id,
        }
        return bucket, origin

    def _static_policy(self, bucket: aws.s3.Bucket, provider: aws.Provider) -> None:
        """TLS only, and ``s3:GetObject`` for this distribution (``AWS:SourceArn``)."""
        aws.s3.BucketPolicy(
            f"{self._name}-static",
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, self.distribution.arn).apply(
                lambda v: policy_document(tls_only_statement(v[0]), *_read_by_cloudfront(*v))
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )

    def _logs(self, name: str, args: CdnArgs) -> None:
        """Standard logging v2 (CloudWatch Logs vended delivery, created in us-east-1)."""
        glob = pulumi.ResourceOptions(parent=self, provider=args.global_provider)
        group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/cloudfront/{args.environment}",
            retention_in_days=args.settings.log_retention_days,
            opts=glob,
        )
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-logs",
            name=f"{args.environment}-cdn",
            log_type="ACCESS_LOGS",
            resource_arn=self.distribution.arn,
            opts=glob,
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-logs",
            name=f"{args.environment}-cdn-logs",
            output_format="json",
            delivery_destination_configuration={"destination_resource_arn": group.arn},
            opts=glob,
        )
        aws.cloudwatch.LogDelivery(
            f"{name}-logs",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            opts=glob,
        )


def _behavior(
    origin: str, cache_policy: str, request_policy: str | None, methods: list[str]
) -> dict[str, Any]:
    """A cache behaviour: HTTPS (HTTP redirects), compressed, security headers."""
    behavior: dict[str, Any] = {
        "target_origin_id": origin,
        "viewer_protocol_policy": "redirect-to-https",
        "allowed_methods": methods,
        "cached_methods": ["GET", "HEAD"],
        "compress": True,
        "cache_policy_id": cache_policy,
        "response_headers_policy_id": SECURITY_HEADERS,
    }
    if request_policy is not None:
        behavior["origin_request_policy_id"] = request_policy
    return behavior


def alb_rule_condition(header: str, accepted: Sequence[str]) -> str:
    """The Ingress's per-service condition: the request carries the distribution's header
    (any accepted value: host + path + 2 values stay within the ALB's 5 per rule)."""
    config = {"httpHeaderName": header, "values": list(accepted)}
    return json.dumps([{"field": "http-header", "httpHeaderConfig": config}])
