"""Pulumi mocks that answer like AWS and Kubernetes would.

``PlatformMocks.new_resource`` returns the inputs plus realistic computed outputs (ids in the
provider's format, ARNs, endpoints) so code downstream of a resource — ``apply`` callbacks,
policy documents built from ARNs, remote-component outputs — runs as it would in a real
deployment. Per-type outputs live in :data:`OUTPUTS`; add an entry when a component reads an
output the generic rule does not produce.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"
PARTITION = "aws"

_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/route:Route": "r-rtb-",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:iam/accessKey:AccessKey": "AKIA",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
}

# ARN service and resource path per type: (service, "resource/{name}")
_ARN_SHAPE = {
    "aws:iam/role:Role": ("iam", "role/{name}"),
    "aws:iam/policy:Policy": ("iam", "policy/{name}"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (
        "iam",
        "oidc-provider/oidc.eks.{region}.amazonaws.com/id/{hash}",
    ),
    "aws:kms/key:Key": ("kms", "key/{uuid}"),
    "aws:kms/alias:Alias": ("kms", "alias/{name}"),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "log-group:{name}"),
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": (
        "logs",
        "delivery-destination:{name}",
    ),
    "aws:s3/bucket:Bucket": ("s3", "{name}"),
    "aws:sns/topic:Topic": ("sns", "{name}"),
    "aws:wafv2/webAcl:WebAcl": ("wafv2", "regional/webacl/{name}/{uuid}"),
    "aws:sqs/queue:Queue": ("sqs", "{name}"),
    "aws:rds/instance:Instance": ("rds", "db:{name}"),
    "aws:rds/parameterGroup:ParameterGroup": ("rds", "pg:{name}"),
    "aws:rds/subnetGroup:SubnetGroup": ("rds", "subgrp:{name}"),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("elasticache", "replicationgroup:{name}"),
    "aws:elasticache/parameterGroup:ParameterGroup": ("elasticache", "parametergroup:{name}"),
    "aws:elasticache/subnetGroup:SubnetGroup": ("elasticache", "subnetgroup:{name}"),
    "aws:secretsmanager/secret:Secret": ("secretsmanager", "secret:{name}-AbCdEf"),
    "aws:backup/vault:Vault": ("backup", "backup-vault:{name}"),
    "aws:backup/plan:Plan": ("backup", "backup-plan:{uuid}"),
    "aws:eks/cluster:Cluster": ("eks", "cluster/{name}"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("cloudwatch", "alarm:{name}"),
    "aws:ec2/securityGroup:SecurityGroup": ("ec2", "security-group/{id}"),
    "aws:ec2/vpc:Vpc": ("ec2", "vpc/{id}"),
    "aws:ec2/subnet:Subnet": ("ec2", "subnet/{id}"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("ec2", "launch-template/{id}"),
    "aws:ec2/natGateway:NatGateway": ("ec2", "natgateway/{id}"),
}
_GLOBAL_SERVICES = {"iam", "s3"}


def digest(*parts: str, length: int = 17) -> str:
    """A deterministic hex string (stable ids across runs make plans diffable)."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _uuid(name: str) -> str:
    h = digest(name, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def physical_name(args: pulumi.runtime.MockResourceArgs) -> str:
    """The name the provider would use: an explicit ``name`` input, else the logical name."""
    explicit = args.inputs.get("name") or args.inputs.get("bucket")
    return str(explicit) if isinstance(explicit, str) else args.name


class MockContext:
    """What output rules know about the run: region and account."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.account = ACCOUNT_ID

    def arn(self, service: str, resource: str) -> str:
        region = "" if service in _GLOBAL_SERVICES else self.region
        account = "" if service == "s3" else self.account
        return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"


OutputRule = Callable[[pulumi.runtime.MockResourceArgs, str, MockContext], dict[str, Any]]
"""(args, id, ctx) -> outputs to merge over the inputs."""


def _eip(args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext) -> dict[str, Any]:
    n = int(digest(args.name, length=4), 16)
    return {"allocationId": id_, "publicIp": f"198.51.100.{n % 250 + 1}"}


def _nat(args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext) -> dict[str, Any]:
    n = int(digest(args.name, length=4), 16)
    return {"publicIp": f"203.0.113.{n % 250 + 1}", "privateIp": f"10.0.0.{n % 250 + 1}"}


def _aws_provider(
    args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext
) -> dict[str, Any]:
    return {}


def _kms_key(args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext) -> dict[str, Any]:
    return {"keyId": _uuid(args.name)}


def _eks_cluster(
    args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext
) -> dict[str, Any]:
    """pulumi-eks ``Cluster`` (a remote component: its outputs must be mocked here)."""
    name = physical_name(args)
    oidc_id = digest(args.name, length=32).upper()
    issuer = f"oidc.eks.{ctx.region}.amazonaws.com/id/{oidc_id}"
    server = f"https://{oidc_id}.gr7.{ctx.region}.eks.amazonaws.com"
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "users": [{"name": name, "user": {"exec": {"command": "aws"}}}],
    }
    return {
        "kubeconfig": kubeconfig,
        "kubeconfigJson": json.dumps(kubeconfig),
        "oidcProviderArn": ctx.arn("iam", f"oidc-provider/{issuer}"),
        "oidcProviderUrl": f"https://{issuer}",
        "oidcIssuer": issuer,
        "clusterSecurityGroupId": "sg-" + digest(args.name, "cluster"),
        "nodeSecurityGroupId": "sg-" + digest(args.name, "node"),
    }


def _launch_template(
    args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext
) -> dict[str, Any]:
    return {"latestVersion": 1, "defaultVersion": 1}


def _rds_instance(
    args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext
) -> dict[str, Any]:
    identifier = str(args.inputs.get("identifier") or args.name)
    address = f"{identifier}.c{digest(identifier, length=12)}.{ctx.region}.rds.amazonaws.com"
    port = int(args.inputs.get("port") or 5432)
    out: dict[str, Any] = {
        "identifier": identifier,
        "address": address,
        "endpoint": f"{address}:{port}",
        "port": port,
        "resourceId": "db-" + digest(identifier, length=26).upper(),
    }
    if args.inputs.get("manageMasterUserPassword"):
        out["masterUserSecrets"] = [
            {
                "secretArn": ctx.arn(
                    "secretsmanager",
                    f"secret:rds!db-{_uuid(identifier)}-{digest(identifier, length=6)}",
                ),
                "kmsKeyId": args.inputs.get("masterUserSecretKmsKeyId", ""),
                "secretStatus": "active",
            }
        ]
    return out


def _replication_group(
    args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext
) -> dict[str, Any]:
    group = str(args.inputs.get("replicationGroupId") or args.name)
    suffix = f"{digest(group, length=6)}.cache.amazonaws.com"
    shards = int(args.inputs.get("numNodeGroups") or 0)
    if shards:
        per = int(args.inputs.get("replicasPerNodeGroup") or 0) + 1
        members = [f"{group}-{s + 1:04d}-{n + 1:03d}" for s in range(shards) for n in range(per)]
        return {
            "configurationEndpointAddress": f"clustercfg.{group}.{suffix}",
            "memberClusters": members,
            "port": 6379,
        }
    count = int(args.inputs.get("numCacheClusters") or 1)
    return {
        "primaryEndpointAddress": f"master.{group}.{suffix}",
        "readerEndpointAddress": f"replica.{group}.{suffix}",
        "memberClusters": [f"{group}-{n + 1:03d}" for n in range(count)],
        "port": 6379,
    }


def _random_password(
    args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext
) -> dict[str, Any]:
    length = int(args.inputs.get("length") or 32)
    return {"result": ("offline-" + digest(args.name, length=64))[:length]}


def _email_identity(
    args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext
) -> dict[str, Any]:
    identity = str(args.inputs.get("emailIdentity") or args.name)
    return {"arn": ctx.arn("ses", f"identity/{identity}"), "verifiedForSendingStatus": False}


def _access_key(
    args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext
) -> dict[str, Any]:
    return {
        "secret": "offline-" + digest(args.name, "secret", length=32),
        "sesSmtpPasswordV4": "offline-" + digest(args.name, "smtp", length=36),
        "status": "Active",
    }


def _certificate(
    args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext
) -> dict[str, Any]:
    names = [args.inputs.get("domainName"), *(args.inputs.get("subjectAlternativeNames") or [])]
    bases = [str(name).removeprefix("*.") for name in names if name]
    return {
        "arn": ctx.arn("acm", f"certificate/{_uuid(args.name)}"),
        "domainValidationOptions": [
            {
                "domainName": name,
                "resourceRecordName": f"_{digest(base)}.{base}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{digest('v', base)}.acm-validations.aws.",
            }
            for name, base in zip([n for n in names if n], bases, strict=True)
        ],
    }


def _route53_record(
    args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext
) -> dict[str, Any]:
    return {"fqdn": str(args.inputs.get("name", "")).rstrip(".")}


def _distribution(
    args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext
) -> dict[str, Any]:
    distribution_id = "E" + digest(args.name, length=13).upper()
    return {
        "id": distribution_id,
        "arn": f"arn:{PARTITION}:cloudfront::{ACCOUNT_ID}:distribution/{distribution_id}",
        "domainName": f"d{digest('cf', args.name, length=13)}.cloudfront.net",
        "hostedZoneId": "Z2FDTNDATAQYW2",  # CloudFront's alias zone, the same everywhere
    }


def _bucket(args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext) -> dict[str, Any]:
    name = str(args.inputs.get("bucket") or physical_name(args))
    return {"bucketRegionalDomainName": f"{name}.s3.{ctx.region}.amazonaws.com"}


def _web_acl(args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext) -> dict[str, Any]:
    """CLOUDFRONT ACLs live in us-east-1 under ``global/``."""
    name = physical_name(args)
    if args.inputs.get("scope") == "CLOUDFRONT":
        path = f"global/webacl/{name}/{_uuid(args.name)}"
        return {"arn": f"arn:{PARTITION}:wafv2:us-east-1:{ACCOUNT_ID}:{path}"}
    return {"arn": ctx.arn("wafv2", f"regional/webacl/{name}/{_uuid(args.name)}")}


def _sqs_queue(args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext) -> dict[str, Any]:
    name = physical_name(args)
    return {"url": f"https://sqs.{ctx.region}.amazonaws.com/{ctx.account}/{name}"}


def _random_id(args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext) -> dict[str, Any]:
    length = int(args.inputs.get("byteLength") or 4)
    hex_ = digest(args.name, length=2 * length)
    return {"hex": hex_, "dec": str(int(hex_, 16)), "b64Url": hex_, "b64Std": hex_}


OUTPUTS: dict[str, OutputRule] = {
    "random:index/randomId:RandomId": _random_id,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "random:index/randomPassword:RandomPassword": _random_password,
    "eks:index:Cluster": _eks_cluster,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:kms/key:Key": _kms_key,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/natGateway:NatGateway": _nat,
    "pulumi:providers:aws": _aws_provider,
    "aws:sesv2/emailIdentity:EmailIdentity": _email_identity,
    "aws:iam/accessKey:AccessKey": _access_key,
    "aws:sqs/queue:Queue": _sqs_queue,
    "aws:cloudfront/distribution:Distribution": _distribution,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:route53/record:Record": _route53_record,
}
"""Per-type output rules, merged over the generic ones."""


def _resource_id(args: pulumi.runtime.MockResourceArgs) -> str:
    prefix = _ID_PREFIX.get(args.typ)
    if prefix is not None:
        return prefix + digest(args.typ, args.name)
    if args.typ == "aws:kms/key:Key":
        return _uuid(args.name)
    if args.typ.startswith("kubernetes:"):
        meta = args.inputs.get("metadata") or {}
        ns = meta.get("namespace")
        name = meta.get("name") or args.name
        return f"{ns}/{name}" if ns else str(name)
    return physical_name(args)


def generic_outputs(
    args: pulumi.runtime.MockResourceArgs, id_: str, ctx: MockContext
) -> dict[str, Any]:
    """ARN, name, tagsAll, Kubernetes metadata — what every resource of a type has."""
    out: dict[str, Any] = {}
    shape = _ARN_SHAPE.get(args.typ)
    if shape is not None:
        service, path = shape
        resource = path.format(
            name=physical_name(args), id=id_, uuid=_uuid(args.name), region=ctx.region,
            hash=digest(args.name, length=32).upper(),
        )  # fmt: skip
        out["arn"] = ctx.arn(service, resource)
    if args.typ.startswith("aws:"):
        if "name" not in args.inputs and args.typ not in _ID_PREFIX:
            out["name"] = physical_name(args)
        if "tags" in args.inputs:
            out["tagsAll"] = args.inputs["tags"]
    if args.typ.startswith("kubernetes:") and isinstance(args.inputs.get("metadata"), dict):
        meta = dict(args.inputs["metadata"])
        meta.setdefault("name", args.name)
        meta.setdefault("uid", _uuid(args.typ + args.name))
        out["metadata"] = meta
    return out


class PlatformMocks(pulumi.runtime.Mocks):
    """Mocks for the whole platform program."""

    def __init__(
        self,
        region: str,
        live: Mapping[str, Any] | None = None,
        stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.ctx = MockContext(region)
        self.stack_outputs = dict(stack_outputs or {})
        """Other stacks' outputs by stack name, for ``StackReference`` (a standby's primary)."""
        self.live = dict(live or {})
        """What runs already: ``{"clusters": {name: {"version": "1.35", "nodeGroups":
        {group name: {"desiredSize": 3, "minSize": 1, "maxSize": 4}}}}, "secrets": {name:
        {"kmsKeyId": ...}}, "claims": {PVC name: GiB},
        "databases": {identifier: {"dbName": ...}}}`` (a cluster may give "serviceCidr");
        empty: a first deploy (and receiver secrets under the AWS managed key)."""
        self.provider_regions: dict[str, str] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        """Every data-source call (token, arguments), for tests of what the program looks up."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            # read by name "<organization>/<project>/<stack>"; outputs as the engine gives them
            stack = str(args.inputs.get("name") or args.name).rsplit("/", 1)[-1]
            if stack not in self.stack_outputs:
                raise ValueError(f"StackReference {args.name}: no outputs given for {stack!r}")
            outputs = dict(self.stack_outputs[stack])
            return args.name, {"name": args.name, "outputs": outputs, "secretOutputNames": []}
        id_ = _resource_id(args)
        if args.typ == "pulumi:providers:aws" and args.inputs.get("region"):
            self.provider_regions[args.name] = str(args.inputs["region"])
        # a resource made through another region's provider gets that region's ARNs
        ctx = self.ctx
        provider_name = (args.provider or "").split("::")[-2:-1]
        if provider_name and provider_name[0] in self.provider_regions:
            ctx = MockContext(self.provider_regions[provider_name[0]])
        state = dict(args.inputs)
        state.update(generic_outputs(args, id_, ctx))
        rule = OUTPUTS.get(args.typ)
        if rule is not None:
            state.update(rule(args, id_, ctx))
        return id_, state

    def call(  # type: ignore[override]  # returning a bare dict is allowed by MockMonitor
        self, args: pulumi.runtime.MockCallArgs
    ) -> dict[str, Any]:
        region = self.ctx.region
        self.calls.append((args.token, to_json_safe(dict(args.args))))
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            letters = "abcdef"
            return {
                "names": [f"{region}{c}" for c in letters],
                "zoneIds": [f"use1-az{i + 1}" for i in range(len(letters))],
                "id": region,
            }
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline-plan",
                "userId": "AIDAOFFLINEPLAN",
                "id": ACCOUNT_ID,
            }
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region}
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": PARTITION, "dnsSuffix": "amazonaws.com", "id": PARTITION}
        live = self._live_call(args)
        if live is not None:
            return live
        rule = CALLS.get(args.token)
        if rule is not None:
            return rule(args, self.ctx)
        return {}

    def _live_call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any] | None:
        """EKS lookups answered from :attr:`live` (components/live.py)."""
        clusters: dict[str, Any] = self.live.get("clusters", {})
        cluster = clusters.get(str(args.args.get("name") or args.args.get("clusterName")), {})
        groups: dict[str, Any] = cluster.get("nodeGroups", {})
        if args.token == "aws:eks/getClusters:getClusters":
            return {"names": sorted(clusters), "id": self.ctx.region}
        if args.token == "aws:eks/getCluster:getCluster":
            network = {
                "serviceIpv4Cidr": cluster.get("serviceCidr", "172.20.0.0/16"),
                "serviceIpv6Cidr": "",
                "ipFamily": "ipv4",
                "elasticLoadBalancings": [],
            }
            return {"name": args.args["name"], "version": cluster["version"], "id": "x",
                    "kubernetesNetworkConfigs": [network]}  # fmt: skip
        databases: dict[str, Any] = self.live.get("databases", {})
        if args.token == "aws:rds/getInstances:getInstances":
            wanted = args.args["filters"][0]["values"][0]
            return {"instanceIdentifiers": [wanted] if wanted in databases else [], "id": "x"}
        if args.token == "aws:rds/getInstance:getInstance":
            identifier = args.args["dbInstanceIdentifier"]
            return {"dbName": databases[identifier]["dbName"], "id": identifier}
        if args.token == "aws:eks/getNodeGroups:getNodeGroups":
            return {"names": sorted(groups), "id": "x"}
        volumes: dict[str, int] = self.live.get("claims", {})
        if args.token == "aws:ebs/getEbsVolumes:getEbsVolumes":
            claim = str((args.args.get("tags") or {}).get("kubernetes.io/created-for/pvc/name"))
            found = [f"vol-{digest(claim, length=17)}"] if claim in volumes else []
            return {"ids": found, "id": self.ctx.region}
        if args.token == "aws:ebs/getVolume:getVolume":
            volume_id = args.args["filters"][0]["values"][0]
            sizes = {f"vol-{digest(c, length=17)}": gib for c, gib in volumes.items()}
            return {"size": sizes[volume_id], "volumeId": volume_id, "id": volume_id}
        secrets: dict[str, Any] = self.live.get("secrets", {})
        if args.token == "aws:secretsmanager/getSecret:getSecret" and args.args["name"] in secrets:
            return {**_get_secret(args, self.ctx), **secrets[args.args["name"]]}
        if args.token == "aws:eks/getNodeGroup:getNodeGroup":
            group = groups[str(args.args["nodeGroupName"])]
            return {"scalingConfigs": [group], "id": "x"}
        return None


CallRule = Callable[[pulumi.runtime.MockCallArgs, MockContext], dict[str, Any]]


ALB_ZONE_IDS = {"us-east-1": "Z35SXDOTRQ7X7K", "us-east-2": "Z3AADJGX6KTTL2",
                "us-west-2": "Z1H1FL5HABSF5", "eu-west-1": "Z32O12XQLNTSW2",
                "eu-central-1": "Z215JYRZR1TBD5"}  # fmt: skip
"""The canonical hosted zone of ALBs in a region (AWS General Reference, "Elastic Load
Balancing endpoints"): what ``getLoadBalancer`` returns as ``zoneId``."""


def _get_load_balancer(args: pulumi.runtime.MockCallArgs, ctx: MockContext) -> dict[str, Any]:
    name = str(args.args.get("name") or "lb")
    suffix = f"app/{name}/{digest(name, length=16)}"
    return {
        "zoneId": ALB_ZONE_IDS.get(ctx.region, f"Z{digest(ctx.region, length=13).upper()}"),
        "arn": ctx.arn("elasticloadbalancing", f"loadbalancer/{suffix}"),
        "arnSuffix": suffix,
        "name": name,
        "dnsName": f"{name}-{digest(name, length=10)}.{ctx.region}.elb.amazonaws.com",
        "id": suffix,
    }


def _get_secret(args: pulumi.runtime.MockCallArgs, ctx: MockContext) -> dict[str, Any]:
    """A secret the operator created out of band (under the AWS managed key)."""
    name = str(args.args.get("name") or "secret")
    arn = ctx.arn("secretsmanager", f"secret:{name}-{digest(name, length=6)}")
    return {"arn": arn, "name": name, "kmsKeyId": "", "id": arn, "tags": {}}


def _get_key(args: pulumi.runtime.MockCallArgs, ctx: MockContext) -> dict[str, Any]:
    key_id = str(args.args.get("keyId"))
    arn = key_id if key_id.startswith("arn:") else ctx.arn("kms", f"key/{key_id}")
    return {"arn": arn, "id": arn, "keyId": arn.rsplit("/", 1)[-1]}


def _prefix_list(args: pulumi.runtime.MockCallArgs, ctx: MockContext) -> dict[str, Any]:
    name = str(args.args.get("name") or "list")
    return {"id": f"pl-{digest(name, ctx.region, length=8)}", "name": name, "maxEntries": 55}


def _get_image(args: pulumi.runtime.MockCallArgs, ctx: MockContext) -> dict[str, Any]:
    """An image that is there (a missing one fails a real preview, naming it)."""
    reference = str(args.args.get("imageTag") or args.args.get("imageDigest"))
    digest_ = args.args.get("imageDigest") or f"sha256:{digest(reference, length=64)}"
    return {"imageDigest": digest_, "repositoryName": args.args.get("repositoryName"),
            "id": f"{args.args.get('repositoryName')}@{digest_}"}  # fmt: skip


CALLS: dict[str, CallRule] = {
    "aws:ecr/getImage:getImage": _get_image,
    "aws:ec2/getManagedPrefixList:getManagedPrefixList": _prefix_list,
    "aws:kms/getKey:getKey": _get_key,
    "aws:lb/getLoadBalancer:getLoadBalancer": _get_load_balancer,
    "aws:secretsmanager/getSecret:getSecret": _get_secret,
}
"""Per-token invoke answers beyond the built-in ones."""


def to_json_safe(value: Any) -> Any:
    """Inputs/outputs as plain JSON: secrets become ``"[secret]"``, resources their URN."""
    from pulumi.runtime import rpc

    if rpc.is_rpc_secret(value):
        return "[secret]"
    if isinstance(value, dict):
        return {k: to_json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_safe(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, pulumi.Resource):
        return f"[resource {type(value).__name__}]"
    if isinstance(value, pulumi.output.Unknown):
        return NEVER_PRODUCED
    return json.loads(json.dumps(value, default=str))


NEVER_PRODUCED = "[unknown: never produced by the mocks]"
"""An input built from an output the mocks did not return (seen in strict mode, where the
program runs as a preview: such a value is unknown instead of silently absent)."""
