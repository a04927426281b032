"""Certificates: ACM certificates for the public hosts, issued and DNS-validated in a Route 53
hosted zone by the program.

One certificate per ten hosts (ACM's default quota of names per certificate), the first host
its domain and the rest subject alternative names; a CNAME per name in the zone (a wildcard
and its base share one); ``CertificateValidation`` waits until ACM has issued them. The ALB
takes the validated ARNs, so a listener never gets a pending certificate. A renamed host set
makes a new certificate first and deletes the old one after the listener moved.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

NAMES_PER_CERTIFICATE = 10


def batches(hosts: Sequence[str]) -> list[list[str]]:
    ordered = sorted(set(hosts))
    return [
        ordered[i : i + NAMES_PER_CERTIFICATE]
        for i in range(0, len(ordered), NAMES_PER_CERTIFICATE)
    ]


def _option_for(
    host: str, options: list[aws.acm.outputs.CertificateDomainValidationOption]
) -> aws.acm.outputs.CertificateDomainValidationOption:
    return next(o for o in options if o.domain_name == host)


def validation_names(hosts: Sequence[str]) -> list[str]:
    """One name per DNS record: a wildcard and its base share one (``*.a.com`` and
    ``a.com``); the name kept is one the certificate holds (the base if it has it)."""
    by_base: dict[str, str] = {}
    for host in sorted(set(hosts), key=lambda h: h.startswith("*.")):
        by_base.setdefault(host.removeprefix("*."), host)
    return sorted(by_base.values())


@dataclass(frozen=True, kw_only=True)
class CertificatesArgs:
    hosts: Sequence[str]
    zone_id: str
    """The Route 53 hosted zone that holds the hosts."""


class Certificates(pulumi.ComponentResource):
    """Validated ACM certificates covering every host."""

    arns: list[pulumi.Output[str]]

    def __init__(
        self, name: str, args: CertificatesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:components:Certificates", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.arns = []
        for index, hosts in enumerate(batches(args.hosts)):
            certificate = aws.acm.Certificate(
                f"{name}-{index}",
                domain_name=hosts[0],
                subject_alternative_names=hosts[1:],
                validation_method="DNS",
                key_algorithm="EC_prime256v1",
                opts=child,
            )
            records = []
            for host in validation_names(hosts):
                option = certificate.domain_validation_options.apply(
                    functools.partial(_option_for, host)
                )
                records.append(
                    aws.route53.Record(
                        f"{name}-{index}-{host.replace('*', 'wildcard')}",
                        zone_id=args.zone_id,
                        name=option.resource_record_name,
                        type=option.resource_record_type,
                        records=[option.resource_record_value],
                        ttl=300,
                        # the same name's record of an earlier certificate (ACM reuses it)
                        allow_overwrite=True,
                        opts=child,
                    )
                )
            validation = aws.acm.CertificateValidation(
                f"{name}-{index}",
                certificate_arn=certificate.arn,
                validation_record_fqdns=[r.fqdn for r in records],
                opts=child,
            )
            self.arns.append(validation.certificate_arn)
        self.register_outputs({"certificateArns": self.arns})
