"""Certificates: ACM certificates for the public hosts, issued and DNS-validated in a Route 53
hosted zone by the program.

One certificate per host (the ALB serves each by SNI), each with its validation CNAME in the
zone; ``CertificateValidation`` waits until ACM has issued it, and the ALB takes only validated
ARNs. Resources are named by host, so adding or removing a host never moves another host's
certificate or record (no replacement, no record deleted under a live certificate, whose
renewal needs it). A renamed host gets a new certificate first; the old one is deleted at the
end of the update, once the Ingress names the new one (ACM refuses while the listener still
uses it, and the provider retries for 20 minutes: the LB controller must be running).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

CERTIFICATES_PER_ALB = 25
"""The ALB's default quota of certificates per listener (raisable)."""


def _option_for(
    host: str, options: list[aws.acm.outputs.CertificateDomainValidationOption]
) -> aws.acm.outputs.CertificateDomainValidationOption:
    for option in options:
        if option.domain_name == host:
            return option
    raise ValueError(f"ACM returned no DNS validation option for {host}")


def validation_record(
    name: str,
    certificate: aws.acm.Certificate,
    host: str,
    zone_id: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.route53.Record:
    """The CNAME in ``zone_id`` that proves ``host`` of ``certificate`` to ACM (ACM gives one
    name and value per host and account, in every region: write it once)."""
    option = certificate.domain_validation_options.apply(functools.partial(_option_for, host))
    return aws.route53.Record(
        name,
        zone_id=zone_id,
        name=option.resource_record_name,
        type=option.resource_record_type,
        records=[option.resource_record_value],
        ttl=300,
        opts=opts,
    )


@dataclass(frozen=True, kw_only=True)
class CertificatesArgs:
    hosts: Sequence[str]
    zone_id: str
    """The Route 53 hosted zone that holds the hosts."""


class Certificates(pulumi.ComponentResource):
    """A validated ACM certificate per host."""

    arns: list[pulumi.Output[str]]

    def __init__(
        self, name: str, args: CertificatesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:Certificates", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.arns = []
        for host in sorted(set(args.hosts)):
            certificate = aws.acm.Certificate(
                f"{name}-{host}",
                domain_name=host,
                validation_method="DNS",
                key_algorithm="EC_prime256v1",
                opts=child,
            )
            record = validation_record(f"{name}-{host}", certificate, host, args.zone_id, child)
            validation = aws.acm.CertificateValidation(
                f"{name}-{host}",
                certificate_arn=certificate.arn,
                validation_record_fqdns=[record.fqdn],
                opts=child,
            )
            self.arns.append(validation.certificate_arn)
        self.register_outputs({"certificateArns": self.arns})
