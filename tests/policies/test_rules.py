"""Each rule: a compliant baseline passes every rule; one change makes exactly that rule report."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from policies.graph import Resource, ResourceGraph
from policies.lib import ADVISORY, MANDATORY, WORKLOAD_TYPES, pod_spec
from policies.offline import evaluate
from policies.registry import ALL_POLICIES

STACK = "urn:pulumi:t::platform::pulumi:pulumi:Stack::platform-t"
TAGS = {
    "project": "platform",
    "environment": "t",
    "owner": "team",
    "cost-center": "cc-1",
    "managed-by": "pulumi",
}
PROVIDER = Resource(
    urn="urn:pulumi:t::platform::pulumi:providers:aws::aws",
    type="pulumi:providers:aws",
    name="aws",
    custom=True,
    parent=STACK,
    provider=None,
    dependencies=(),
    property_dependencies={},
    inputs={"region": "us-east-1", "defaultTags": {"tags": TAGS}},
    outputs={},
)
K8S = Resource(
    urn="urn:pulumi:t::platform::pulumi:providers:kubernetes::k8s",
    type="pulumi:providers:kubernetes",
    name="k8s",
    custom=True,
    parent=STACK,
    provider=None,
    dependencies=(),
    property_dependencies={},
    inputs={},
    outputs={},
)


def r(type_: str, name: str, props: dict[str, Any], **deps: str) -> Resource:
    provider = K8S if type_.startswith("kubernetes:") else PROVIDER
    return Resource(
        urn=f"urn:pulumi:t::platform::{type_}::{name}",
        type=type_,
        name=name,
        custom=True,
        parent=STACK,
        provider=f"{provider.urn}::id",
        dependencies=tuple(deps.values()),
        property_dependencies={k: (v,) for k, v in deps.items()},
        inputs=props,
        outputs={},
    )


KEY = "arn:aws:kms:us-east-1:123456789012:key/k"
RDS = {
    "engine": "postgres",
    "storageEncrypted": True,
    "kmsKeyId": KEY,
    "publiclyAccessible": False,
    "backupRetentionPeriod": 7,
    "deletionProtection": True,
    "skipFinalSnapshot": False,
    "finalSnapshotIdentifier": "db-final",
}
CACHE = {
    "transitEncryptionEnabled": True,
    "transitEncryptionMode": "required",
    "atRestEncryptionEnabled": True,
    "authToken": "[secret]",
}
EKS = {
    "version": "1.35",
    "encryptionConfigKeyArn": KEY,
    "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    "endpointPublicAccess": False,
    "upgradePolicy": {"supportType": "STANDARD"},
}
IRSA = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/x"},
                "Condition": {
                    "StringEquals": {
                        "x:sub": "system:serviceaccount:apps:api",
                        "x:aud": "sts.amazonaws.com",
                    }
                },
            }
        ]
    }
)
CONTAINER = {
    "name": "api",
    "image": "registry.example.com/app:1.0.0",
    "ports": [{"containerPort": 8000}],
    "readinessProbe": {"httpGet": {"path": "/ready", "port": 8000}},
    "livenessProbe": {"httpGet": {"path": "/live", "port": 8000}},
    "resources": {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "1", "memory": "1Gi"},
    },
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    },
}
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "api", "namespace": "apps"},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "api"}},
        "template": {
            "metadata": {"labels": {"app": "api"}},
            "spec": {
                "containers": [CONTAINER],
                "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            },
        },
    },
}
DENY = {
    "metadata": {"name": "default-deny", "namespace": "apps"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
}
DEP = "kubernetes:apps/v1:Deployment"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def set_in(props: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(props)
    node = out
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is _DROP:
        node.pop(keys[-1])
    else:
        node[keys[-1]] = value
    return out


_DROP = object()
C = "spec.template.spec.containers.0"


def bucket_set(*, pab: bool = True, block_policy: bool = True, sse: bool = True,
               versioning: str = "Enabled") -> list[Resource]:  # fmt: skip
    bucket = r("aws:s3/bucket:Bucket", "b", {"bucket": "b"})
    out = [bucket]
    if pab:
        out.append(
            r(
                "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                "b-pab",
                {
                    "blockPublicAcls": True,
                    "blockPublicPolicy": block_policy,
                    "ignorePublicAcls": True,
                    "restrictPublicBuckets": True,
                },
                bucket=bucket.urn,
            )
        )
    if sse:
        out.append(
            r(
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                "b-sse",
                {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]},
                bucket=bucket.urn,
            )
        )
    out.append(
        r(
            "aws:s3/bucketVersioning:BucketVersioning",
            "b-ver",
            {"versioningConfiguration": {"status": versioning}},
            bucket=bucket.urn,
        )
    )
    return out


def workload(
    props: dict[str, Any] = DEPLOYMENT, *extra: Resource, deny: bool = True
) -> list[Resource]:
    out = [r(DEP, "api", props), *extra]
    if deny:
        out.append(r(NETPOL, "deny", DENY))
    return out


def one(type_: str, props: dict[str, Any]) -> Callable[[], list[Resource]]:
    return lambda: [r(type_, "x", props)]


SQS_T = "aws:sqs/queue:Queue"


CF_T = "aws:cloudfront/distribution:Distribution"
CF = {
    "viewerCertificate": {"acmCertificateArn": "arn:aws:acm:us-east-1:1:certificate/c",
                          "minimumProtocolVersion": "TLSv1.2_2021", "sslSupportMethod": "sni-only"},
    "defaultCacheBehavior": {"viewerProtocolPolicy": "redirect-to-https"},
    "orderedCacheBehaviors": [{"pathPattern": "/static/*", "viewerProtocolPolicy": "https-only"}],
    "webAclId": "arn:aws:wafv2:us-east-1:1:global/webacl/cdn/x",
}  # fmt: skip


def cdn(props: dict[str, Any] = CF, *, logged: bool = True) -> list[Resource]:
    """A distribution and (standard logging v2) the delivery source of its access logs."""
    out = [r(CF_T, "cdn", props)]
    if logged:
        source = {"logType": "ACCESS_LOGS", "name": "cdn", "resourceArn": "arn:cf"}
        out.append(r("aws:cloudwatch/logDeliverySource:LogDeliverySource", "logs", source,
                     resourceArn=out[0].urn))  # fmt: skip
    return out


def sqs_pair(*, encrypted: bool = True) -> list[Resource]:
    """A queue and its dead-letter queue (which needs no redrive policy of its own)."""
    key = {"kmsMasterKeyId": KEY} if encrypted else {}
    dlq = "arn:aws:sqs:us-east-1:1:jobs-dlq"
    return [
        r(SQS_T, "jobs-dlq", {"name": "jobs-dlq", **key}),
        r(SQS_T, "jobs", {"name": "jobs", **key,
                          "redrivePolicy": json.dumps({"deadLetterTargetArn": dlq,
                                                       "maxReceiveCount": 5})}),
    ]  # fmt: skip


RDS_T = "aws:rds/instance:Instance"
EKS_T = "eks:index:Cluster"
SG_T = "aws:ec2/securityGroup:SecurityGroup"
HPA_T = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
HPA = {"metadata": {"name": "api", "namespace": "apps"},
       "spec": {"scaleTargetRef": {"name": "api"}, "minReplicas": 2, "maxReplicas": 2}}  # fmt: skip
PDB = {"metadata": {"name": "api", "namespace": "apps"},
       "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "api"}}}}  # fmt: skip


PSS_BREAKS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("kubernetes-pss-host-namespaces", lambda pod: pod.update(hostPID=True)),
    ("kubernetes-pss-host-process", lambda pod: pod["securityContext"].update(
        windowsOptions={"hostProcess": True})),
    ("kubernetes-pss-host-path-volumes", lambda pod: pod.update(
        volumes=[{"name": "h", "hostPath": {"path": "/var/run"}}])),
    ("kubernetes-pss-host-ports", lambda pod: pod["containers"][0]["ports"][0].update(hostPort=80)),
    ("kubernetes-pss-apparmor", lambda pod: pod["containers"][0]["securityContext"].update(
        appArmorProfile={"type": "Unconfined"})),
    ("kubernetes-pss-selinux", lambda pod: pod["securityContext"].update(
        seLinuxOptions={"type": "spc_t"})),
    ("kubernetes-pss-proc-mount", lambda pod: pod["containers"][0]["securityContext"].update(
        procMount="Unmasked")),
    ("kubernetes-pss-sysctls", lambda pod: pod["securityContext"].update(
        sysctls=[{"name": "kernel.msgmax", "value": "1"}])),
    ("kubernetes-pss-seccomp", lambda pod: pod["securityContext"].pop("seccompProfile")),
    ("kubernetes-pss-host-probes", lambda pod: pod["containers"][0]["readinessProbe"][
        "httpGet"].update(host="169.254.169.254")),
    ("kubernetes-pss-volume-types", lambda pod: pod.update(
        volumes=[{"name": "n", "nfs": {"server": "x", "path": "/"}}])),
    ("kubernetes-pss-privilege-escalation", lambda pod: pod["containers"][0][
        "securityContext"].pop("allowPrivilegeEscalation")),
]  # fmt: skip


def _broken(props: dict[str, Any], breaks: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    out = copy.deepcopy(props)
    breaks(_pod_of(out))
    return out


def _pod_of(props: dict[str, Any]) -> dict[str, Any]:
    """The (mutable) pod spec inside a workload, found as the pack finds it."""
    pod = pod_spec(props["kind"], props)
    assert isinstance(pod, dict), props["kind"]
    assert pod, props["kind"]
    return pod


CASES: list[tuple[str, Callable[[], list[Resource]], Callable[[], list[Resource]]]] = [
    ("aws-rds-instance-storage-encrypted", one(RDS_T, RDS), one(RDS_T, {**RDS, "storageEncrypted": False})),
    ("aws-rds-instance-not-public", one(RDS_T, RDS), one(RDS_T, {**RDS, "publiclyAccessible": True})),
    ("aws-rds-instance-backup-retention", one(RDS_T, RDS), one(RDS_T, {**RDS, "backupRetentionPeriod": 3})),
    ("aws-rds-instance-deletion-protection", one(RDS_T, RDS), one(RDS_T, {**RDS, "deletionProtection": False})),
    ("kubernetes-public-ingress-waf",
     one("kubernetes:networking.k8s.io/v1:Ingress", {"metadata": {"name": "public", "annotations": {
         "alb.ingress.kubernetes.io/scheme": "internet-facing",
         "alb.ingress.kubernetes.io/wafv2-acl-arn": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/p/1"}}}),
     one("kubernetes:networking.k8s.io/v1:Ingress", {"metadata": {"name": "public", "annotations": {
         "alb.ingress.kubernetes.io/scheme": "internet-facing"}}})),
    ("kubernetes-public-ingress-waf",
     one("kubernetes:networking.k8s.io/v1:Ingress", {"metadata": {"name": "internal", "annotations": {
         "alb.ingress.kubernetes.io/scheme": "internal",
         "alb.ingress.kubernetes.io/wafv2-acl-arn": "none"}}}),
     one("kubernetes:networking.k8s.io/v1:Ingress", {"metadata": {"name": "public", "annotations": {
         "alb.ingress.kubernetes.io/scheme": "internet-facing",
         "alb.ingress.kubernetes.io/wafv2-acl-arn": "none"}}})),
    ("aws-elasticache-replication-group-encrypted",
     one("aws:elasticache/replicationGroup:ReplicationGroup", CACHE),
     one("aws:elasticache/replicationGroup:ReplicationGroup", {**CACHE, "atRestEncryptionEnabled": False})),
    ("aws-kms-key-rotation-enabled", one("aws:kms/key:Key", {"enableKeyRotation": True}),
     one("aws:kms/key:Key", {"enableKeyRotation": False})),
    ("aws-backup-vault-encrypted", one("aws:backup/vault:Vault", {"kmsKeyArn": KEY}),
     one("aws:backup/vault:Vault", {})),
    ("aws-s3-bucket-public-access-block", bucket_set, lambda: bucket_set(block_policy=False)),
    ("aws-s3-bucket-encrypted", bucket_set, lambda: bucket_set(sse=False)),
    ("aws-s3-bucket-versioned", bucket_set, lambda: bucket_set(versioning="Suspended")),
    ("aws-ec2-security-group-no-world-ingress",
     one(SG_T, {"ingress": [{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["10.0.0.0/16"]}]}),
     one(SG_T, {"ingress": [{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["0.0.0.0/0"]}]})),
    ("aws-ec2-security-group-no-world-ingress",
     one(SG_T, {"tags": {"platform/role": "load-balancer"},
                "ingress": [{"fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]}),
     one(SG_T, {"ingress": [{"fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]})),
    ("aws-ec2-security-group-no-world-ingress",
     one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
         {"fromPort": 6379, "toPort": 6379, "referencedSecurityGroupId": "sg-1"}),
     one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
         {"fromPort": 6379, "toPort": 6379, "cidrIpv6": "::/0"})),
    ("aws-ec2-launch-template-imdsv2",
     one("aws:ec2/launchTemplate:LaunchTemplate", {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2}}),
     one("aws:ec2/launchTemplate:LaunchTemplate", {"metadataOptions": {"httpTokens": "optional", "httpPutResponseHopLimit": 2}})),
    ("aws-sqs-queue-encrypted-with-dlq", lambda: sqs_pair(),
     lambda: [r(SQS_T, "jobs", {"name": "jobs", "kmsMasterKeyId": KEY})]),
    ("aws-sqs-queue-encrypted-with-dlq", lambda: sqs_pair(),
     lambda: sqs_pair(encrypted=False)),
    ("aws-cloudfront-viewer-tls-logging-waf", cdn, lambda: cdn(logged=False)),
    ("aws-cloudfront-viewer-tls-logging-waf", cdn,
     lambda: cdn(set_in(CF, "viewerCertificate.minimumProtocolVersion", "TLSv1_2016"))),
    ("aws-cloudfront-viewer-tls-logging-waf", cdn,
     lambda: cdn(set_in(CF, "defaultCacheBehavior.viewerProtocolPolicy", "allow-all"))),
    ("aws-cloudfront-viewer-tls-logging-waf", cdn, lambda: cdn(set_in(CF, "webAclId", _DROP))),
    # behind the CDN: the ALB admits only CloudFront's prefix list and its secret header; its
    # ACL is at the edge (a prefix list alone, e.g. an office's, is not enough)
    ("kubernetes-public-ingress-waf",
     one("kubernetes:networking.k8s.io/v1:Ingress", {"metadata": {"name": "public", "annotations": {
         "alb.ingress.kubernetes.io/scheme": "internet-facing",
         "alb.ingress.kubernetes.io/security-group-prefix-lists": "pl-3b927c52",
         "alb.ingress.kubernetes.io/conditions.api": '[{"field": "http-header"}]',
         "alb.ingress.kubernetes.io/wafv2-acl-arn": "none"}}}),
     one("kubernetes:networking.k8s.io/v1:Ingress", {"metadata": {"name": "public", "annotations": {
         "alb.ingress.kubernetes.io/scheme": "internet-facing",
         "alb.ingress.kubernetes.io/security-group-prefix-lists": "pl-0office",
         "alb.ingress.kubernetes.io/wafv2-acl-arn": "none"}}})),
    ("aws-ec2-nat-gateway-count", lambda: [r("aws:ec2/natGateway:NatGateway", "n1", {})],
     lambda: [r("aws:ec2/natGateway:NatGateway", "n1", {}), r("aws:ec2/natGateway:NatGateway", "n2", {})]),
    ("aws-iam-policy-no-wildcard-actions",
     one("aws:iam/rolePolicy:RolePolicy", {"policy": json.dumps({"Statement": [
         {"Effect": "Allow", "Action": ["s3:GetObject", "ec2:Describe*"], "Resource": "*"}]})}),
     one("aws:iam/rolePolicy:RolePolicy", {"policy": json.dumps({"Statement": [
         {"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"}]})})),
    ("aws-iam-no-administrator-access",
     one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"}),
     one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})),
    ("aws-iam-role-web-identity-scoped", one("aws:iam/role:Role", {"assumeRolePolicy": IRSA}),
     one("aws:iam/role:Role", {"assumeRolePolicy": IRSA.replace("apps:api", "apps:*")})),
    ("eks-cluster-secrets-encryption", one(EKS_T, EKS), one(EKS_T, set_in(EKS, "encryptionConfigKeyArn", _DROP))),
    ("eks-cluster-control-plane-logs", one(EKS_T, EKS), one(EKS_T, {**EKS, "enabledClusterLogTypes": ["api"]})),
    ("eks-cluster-public-endpoint-restricted", one(EKS_T, EKS),
     one(EKS_T, {**EKS, "endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]})),
    ("eks-cluster-standard-support", one(EKS_T, EKS), one(EKS_T, set_in(EKS, "upgradePolicy", _DROP))),
    ("eks-cluster-minimum-version", one(EKS_T, EKS), one(EKS_T, {**EKS, "version": "1.29"})),
    ("aws-eks-node-group-allowed-instances",
     one("aws:eks/nodeGroup:NodeGroup", {"instanceTypes": ["m7i.large"], "scalingConfig": {"maxSize": 5}}),
     one("aws:eks/nodeGroup:NodeGroup", {"instanceTypes": ["x2iedn.32xlarge"], "scalingConfig": {"maxSize": 5}})),
    ("aws-required-tags", one("aws:sns/topic:Topic", {}), one("aws:sns/topic:Topic", {"tags": {"owner": ""}})),
    ("kubernetes-no-privileged-containers", workload, lambda: workload(set_in(DEPLOYMENT, f"{C}.securityContext.privileged", True))),
    ("kubernetes-run-as-non-root", workload, lambda: workload(set_in(DEPLOYMENT, f"{C}.securityContext.runAsNonRoot", False))),
    ("kubernetes-read-only-root-filesystem", workload,
     lambda: workload(set_in(DEPLOYMENT, f"{C}.securityContext.readOnlyRootFilesystem", False))),
    ("kubernetes-drop-all-capabilities", workload,
     lambda: workload(set_in(DEPLOYMENT, f"{C}.securityContext.capabilities", {"drop": []}))),
    ("kubernetes-resources-set", workload, lambda: workload(set_in(DEPLOYMENT, f"{C}.resources", _DROP))),
    ("kubernetes-no-latest-image", workload, lambda: workload(set_in(DEPLOYMENT, f"{C}.image", "nginx:latest"))),
    ("kubernetes-http-probes", workload, lambda: workload(set_in(DEPLOYMENT, f"{C}.readinessProbe", _DROP))),
    ("kubernetes-load-balancer-service-allow-list",
     one("kubernetes:core/v1:Service", {"metadata": {"name": "api"}, "spec": {"type": "ClusterIP"}}),
     one("kubernetes:core/v1:Service", {"metadata": {"name": "api"}, "spec": {"type": "LoadBalancer"}})),
    ("kubernetes-namespace-default-deny", workload, lambda: workload(deny=False)),
    ("kubernetes-deployment-has-pdb", lambda: workload(set_in(DEPLOYMENT, "spec.replicas", 3), r("kubernetes:policy/v1:PodDisruptionBudget", "pdb", PDB)),
     lambda: workload(set_in(DEPLOYMENT, "spec.replicas", 3))),
    *(
        (rule, workload, lambda breaks=breaks: workload(_broken(DEPLOYMENT, breaks)))
        for rule, breaks in PSS_BREAKS
    ),
    ("kubernetes-hpa-min-replicas", lambda: workload(DEPLOYMENT, r(HPA_T, "hpa", HPA), r("kubernetes:policy/v1:PodDisruptionBudget", "pdb", PDB)),
     lambda: workload(DEPLOYMENT, r(HPA_T, "hpa", set_in(HPA, "spec.minReplicas", 1)), r("kubernetes:policy/v1:PodDisruptionBudget", "pdb", PDB))),
]  # fmt: skip
CONFIG = {"aws-ec2-nat-gateway-count": {"maxNatGateways": 1}}


def _graph(resources: list[Resource]) -> ResourceGraph:
    return ResourceGraph((PROVIDER, K8S, *resources))


@pytest.mark.parametrize(
    ("rule", "baseline", "broken"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule(
    rule: str, baseline: Callable[[], list[Resource]], broken: Callable[[], list[Resource]]
) -> None:
    clean = evaluate(_graph(baseline()), CONFIG)
    assert clean.violations == (), clean.render_text()
    report = evaluate(_graph(broken()), CONFIG)
    assert report.names() == {rule}, report.render_text()
    assert all(". Fix: " in v.message for v in report.violations)


def test_every_rule_has_a_case() -> None:
    assert {p.name for p in ALL_POLICIES} == {case[0] for case in CASES}


def test_pack_shape() -> None:
    assert len(ALL_POLICIES) >= 25
    for policy in ALL_POLICIES:
        assert policy.description
        assert policy.enforcement_level in (MANDATORY, ADVISORY)
        assert policy.remediation_steps


def test_config_overrides_level_and_disables() -> None:
    graph = _graph(one(RDS_T, {**RDS, "publiclyAccessible": True})())
    assert evaluate(graph).mandatory
    advisory = evaluate(graph, {"aws-rds-instance-not-public": "advisory"})
    assert not advisory.mandatory
    assert advisory.names() == {"aws-rds-instance-not-public"}
    assert evaluate(graph, {"aws-rds-instance-not-public": "disabled"}).violations == ()
    unprotected = _graph(one(RDS_T, {**RDS, "deletionProtection": False})())
    config = {"aws-rds-instance-deletion-protection": {"protectedEnvironment": False}}
    assert evaluate(unprotected, config).violations == ()


def _violations(rule: str, resources: list[Resource]) -> list[str]:
    report = evaluate(_graph(resources), CONFIG)
    return [v.message for v in report.violations if v.policy == rule]


def _deny(name: str, spec: dict[str, Any]) -> Resource:
    return r(NETPOL, name, {"metadata": {"name": name, "namespace": "apps"}, "spec": spec})


VALID_DEFAULT_DENY = [
    ("one-policy", [_deny("d", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})]),
    ("separate-ingress-and-egress", [
        _deny("deny-in", {"podSelector": {}, "policyTypes": ["Ingress"]}),
        _deny("deny-out", {"podSelector": {}, "policyTypes": ["Egress"]}),
    ]),
    ("empty-match-labels", [
        _deny("d", {"podSelector": {"matchLabels": {}}, "policyTypes": ["Ingress", "Egress"]})]),
    ("ingress-by-default-type", [
        _deny("deny-in", {"podSelector": {}}),
        _deny("deny-out", {"podSelector": {}, "policyTypes": ["Egress"]}),
    ]),
]  # fmt: skip
INVALID_DEFAULT_DENY = [
    ("ingress-only", [_deny("deny-in", {"podSelector": {}, "policyTypes": ["Ingress"]})]),
    ("selects-some-pods", [
        _deny("d", {"podSelector": {"matchLabels": {"app": "api"}},
                    "policyTypes": ["Ingress", "Egress"]})]),
    ("allows-egress", [
        _deny("d", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                    "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]})]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "policies"), VALID_DEFAULT_DENY, ids=[c[0] for c in VALID_DEFAULT_DENY]
)
def test_default_deny_accepts_every_valid_form(case: str, policies: list[Resource]) -> None:
    assert (
        _violations("kubernetes-namespace-default-deny", [r(DEP, "api", DEPLOYMENT), *policies])
        == []
    )


@pytest.mark.parametrize(
    ("case", "policies"), INVALID_DEFAULT_DENY, ids=[c[0] for c in INVALID_DEFAULT_DENY]
)
def test_default_deny_refuses_what_leaves_a_direction_open(
    case: str, policies: list[Resource]
) -> None:
    assert _violations("kubernetes-namespace-default-deny", [r(DEP, "api", DEPLOYMENT), *policies])


LB_GROUP = r(SG_T, "alb", {"tags": {"platform/role": "load-balancer"}})
PLAIN_GROUP = r(SG_T, "db", {})
WORLD_INGRESS = [
    # (case, resources, violation expected)
    ("rule-443-on-a-load-balancer-group", [LB_GROUP, r(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "https",
        {"fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"}, securityGroupId=LB_GROUP.urn)], False),
    ("rule-443-on-a-plain-group", [PLAIN_GROUP, r(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "https",
        {"fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0",
         "tags": {"platform/role": "load-balancer"}}, securityGroupId=PLAIN_GROUP.urn)], True),
    ("legacy-rule-ssh-from-the-world", [PLAIN_GROUP, r(
        "aws:ec2/securityGroupRule:SecurityGroupRule", "ssh",
        {"type": "ingress", "fromPort": 22, "toPort": 22, "protocol": "tcp",
         "cidrBlocks": ["0.0.0.0/0"]}, securityGroupId=PLAIN_GROUP.urn)], True),
    ("legacy-rule-egress-to-the-world", [PLAIN_GROUP, r(
        "aws:ec2/securityGroupRule:SecurityGroupRule", "out",
        {"type": "egress", "fromPort": 0, "toPort": 0, "protocol": "-1",
         "cidrBlocks": ["0.0.0.0/0"]}, securityGroupId=PLAIN_GROUP.urn)], False),
    ("legacy-rule-443-on-a-load-balancer-group", [LB_GROUP, r(
        "aws:ec2/securityGroupRule:SecurityGroupRule", "https",
        {"type": "ingress", "fromPort": 443, "toPort": 443, "protocol": "tcp",
         "ipv6CidrBlocks": ["::/0"]}, securityGroupId=LB_GROUP.urn)], False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "resources", "violation"), WORLD_INGRESS, ids=[c[0] for c in WORLD_INGRESS]
)
def test_world_ingress_judges_rules_by_their_group(
    case: str, resources: list[Resource], violation: bool
) -> None:
    found = _violations("aws-ec2-security-group-no-world-ingress", resources)
    assert bool(found) is violation, found


PAB = {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
       "restrictPublicBuckets": True}  # fmt: skip
S3_RULES = (
    "aws-s3-bucket-public-access-block",
    "aws-s3-bucket-encrypted",
    "aws-s3-bucket-versioned",
)


def _v2_bucket_by_name() -> list[Resource]:
    """BucketV2 with V2 companions that name the bucket by a plain string (no dependency)."""
    return [
        r("aws:s3/bucketV2:BucketV2", "logs", {"bucket": "acme-logs"}),
        r("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "logs-pab",
          {**PAB, "bucket": "acme-logs"}),
        r("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
          "logs-sse", {"bucket": "acme-logs",
                       "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}),
        r("aws:s3/bucketVersioningV2:BucketVersioningV2", "logs-v",
          {"bucket": "acme-logs", "versioningConfiguration": {"status": "Enabled"}}),
    ]  # fmt: skip


def _inline_bucket() -> list[Resource]:
    """A legacy Bucket with inline versioning and encryption."""
    bucket = r("aws:s3/bucket:Bucket", "data", {
        "bucket": "acme-data",
        "versioning": {"enabled": True},
        "serverSideEncryptionConfiguration": {"rule": {"applyServerSideEncryptionByDefault": {
            "sseAlgorithm": "aws:kms"}}},
    })  # fmt: skip
    return [bucket, r("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "data-pab", PAB,
                      bucket=bucket.urn)]  # fmt: skip


@pytest.mark.parametrize(
    "resources", [_v2_bucket_by_name, _inline_bucket], ids=["v2-by-name", "inline"]
)
def test_s3_rules_accept_every_valid_way_to_write_a_bucket(
    resources: Callable[[], list[Resource]],
) -> None:
    for rule in S3_RULES:
        assert _violations(rule, resources()) == [], rule


def test_s3_rules_still_catch_a_missing_setting_in_the_v2_form() -> None:
    without_versioning = [x for x in _v2_bucket_by_name() if "Versioning" not in x.type]
    assert _violations("aws-s3-bucket-versioned", without_versioning)
    other_bucket = [x for x in _v2_bucket_by_name() if "Encryption" not in x.type] + [
        r("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
          "other-sse", {"bucket": "someone-else", "rules": []})]  # fmt: skip
    assert _violations("aws-s3-bucket-encrypted", other_bucket)


AURORA = {"engine": "aurora-postgresql", "storageEncrypted": True, "kmsKeyId": KEY,
          "backupRetentionPeriod": 7, "deletionProtection": True, "skipFinalSnapshot": False,
          "finalSnapshotIdentifier": "final"}  # fmt: skip
SCOPE = [
    # (rule, type, valid props, invalid props): every resource type a rule covers
    ("aws-rds-instance-storage-encrypted", "aws:rds/cluster:Cluster", AURORA,
     {**AURORA, "storageEncrypted": False}),
    ("aws-rds-instance-backup-retention", "aws:rds/cluster:Cluster", AURORA,
     {**AURORA, "backupRetentionPeriod": 1}),
    ("aws-rds-instance-deletion-protection", "aws:rds/cluster:Cluster", AURORA,
     {**AURORA, "deletionProtection": False}),
    ("aws-rds-instance-not-public", "aws:rds/clusterInstance:ClusterInstance",
     {"publiclyAccessible": False}, {"publiclyAccessible": True}),
    ("aws-elasticache-replication-group-encrypted", "aws:elasticache/cluster:Cluster",
     {"engine": "valkey", "replicationGroupId": "rg"}, {"engine": "redis"}),
    ("aws-elasticache-replication-group-encrypted", "aws:elasticache/cluster:Cluster",
     {"engine": "valkey", "replicationGroupId": "rg"}, {"engine": "memcached"}),
    ("aws-elasticache-replication-group-encrypted", "aws:elasticache/serverlessCache:ServerlessCache",
     {"engine": "valkey", "userGroupId": "ug"}, {"engine": "valkey"}),
    ("aws-ec2-launch-template-imdsv2", "aws:ec2/instance:Instance",
     {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1}},
     {"metadataOptions": {"httpTokens": "optional"}}),
    ("aws-iam-policy-no-wildcard-actions", "aws:iam/userPolicy:UserPolicy",
     {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})},
     {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})}),
    ("aws-iam-policy-no-wildcard-actions", "aws:iam/groupPolicy:GroupPolicy",
     {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})},
     {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]})}),
    ("aws-iam-no-administrator-access", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
     {"policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
     {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    ("aws-iam-no-administrator-access", "aws:iam/userPolicyAttachment:UserPolicyAttachment",
     {"policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
     {"policyArn": "arn:aws-us-gov:iam::aws:policy/AdministratorAccess"}),
    # a ScaledObject without minReplicaCount scales to zero (KEDA's default)
    ("kubernetes-hpa-min-replicas", "kubernetes:keda.sh/v1alpha1:ScaledObject",
     {"metadata": {"name": "worker"}, "spec": {"minReplicaCount": 2, "maxReplicaCount": 9}},
     {"metadata": {"name": "worker"}, "spec": {"maxReplicaCount": 9}}),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "type_", "valid", "invalid"), SCOPE,
                         ids=[f"{c[0]}-{c[1].rsplit(':', 1)[-1]}-{i}" for i, c in enumerate(SCOPE)])  # fmt: skip
def test_every_type_in_a_rules_scope(rule: str, type_: str, valid: dict, invalid: dict) -> None:
    assert _violations(rule, [r(type_, "x", valid)]) == []
    assert _violations(rule, [r(type_, "x", invalid)])


def _of_kind(kind: str, container: dict[str, Any]) -> dict[str, Any]:
    """A workload of ``kind`` whose pods run ``container``."""
    pod = {
        "containers": [container],
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    }
    template = {"metadata": {"labels": {"app": "x"}}, "spec": pod}
    group = {"Job": "batch/v1", "CronJob": "batch/v1", "Pod": "v1"}.get(kind, "apps/v1")
    spec: dict[str, Any]
    if kind == "Pod":
        spec = pod
    elif kind == "CronJob":
        spec = {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": template}}}
    elif kind == "Job":
        spec = {"template": template}
    else:
        spec = {"selector": {"matchLabels": {"app": "x"}}, "template": template}
    return {
        "apiVersion": group,
        "kind": kind,
        "metadata": {"name": "x", "namespace": "apps"},
        "spec": spec,
    }


POD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")
POD_RULES = [
    ("kubernetes-no-privileged-containers", "securityContext.privileged", True),
    ("kubernetes-run-as-non-root", "securityContext.runAsNonRoot", False),
    ("kubernetes-read-only-root-filesystem", "securityContext.readOnlyRootFilesystem", False),
    ("kubernetes-drop-all-capabilities", "securityContext.capabilities", {"drop": []}),
    ("kubernetes-resources-set", "resources", _DROP),
    ("kubernetes-no-latest-image", "image", "nginx:latest"),
]


@pytest.mark.parametrize("kind", POD_KINDS)
@pytest.mark.parametrize(("rule", "breaks"), PSS_BREAKS, ids=[c[0] for c in PSS_BREAKS])
def test_pod_security_standards_controls_on_every_pod_bearing_kind(
    kind: str, rule: str, breaks: Callable[[dict[str, Any]], None]
) -> None:
    """Each baseline/restricted control: the hardened pod passes, one breach is caught, on
    every kind that carries a pod template."""
    type_ = next(t for t in WORKLOAD_TYPES if t.endswith(f":{kind}"))
    valid = _of_kind(kind, CONTAINER)
    invalid = copy.deepcopy(valid)
    breaks(_pod_of(invalid))
    assert _violations(rule, [r(type_, "x", valid)]) == []
    assert _violations(rule, [r(type_, "x", invalid)])


def test_every_pod_security_control_is_a_rule() -> None:
    from policies.registry import ALL_POLICIES

    names = {p.name for p in ALL_POLICIES}
    controls = {rule for rule, _ in PSS_BREAKS} | {
        "kubernetes-no-privileged-containers",  # baseline: privileged containers
        "kubernetes-drop-all-capabilities",  # baseline + restricted: capabilities
        "kubernetes-run-as-non-root",  # restricted: non-root, non-zero UID
    }
    assert controls <= names


def test_a_metrics_only_port_needs_no_probes() -> None:
    worker = set_in(set_in(CONTAINER, "readinessProbe", _DROP), "livenessProbe", _DROP)
    worker["ports"] = [{"name": "metrics", "containerPort": 9464}]
    assert (
        _violations("kubernetes-http-probes", [r(DEP, "x", _of_kind("Deployment", worker))]) == []
    )


@pytest.mark.parametrize("kind", POD_KINDS)
@pytest.mark.parametrize(("rule", "path", "value"), POD_RULES, ids=[c[0] for c in POD_RULES])
def test_pod_rules_hold_for_every_pod_bearing_kind(
    kind: str, rule: str, path: str, value: Any
) -> None:
    type_ = next(t for t in WORKLOAD_TYPES if t.endswith(f":{kind}"))
    valid = _of_kind(kind, CONTAINER)
    invalid = _of_kind(kind, set_in(CONTAINER, path, value))
    assert _violations(rule, [r(type_, "x", valid)]) == []
    assert _violations(rule, [r(type_, "x", invalid)])


def test_stack_rules_survive_values_a_preview_does_not_know() -> None:
    """In a real preview the framework wraps props so that reading an unknown value raises;
    a stack rule that lets it escape is skipped entirely. One unknown value must cost one
    resource's verdict, not the rule's."""
    from pulumi_policy import PolicyResource, StackValidationArgs
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

    from policies.rules.aws.ec2.security_group_no_world_ingress import check as world_check
    from policies.rules.aws.s3.bucket_versioning import check as versioning_check

    def resource(type_: str, name: str, props: dict[str, Any], **deps: Any) -> PolicyResource:
        return PolicyResource(type_, unknown_checking_proxy(props), f"urn:{name}", name, None,
                              None, None, list(deps.values()), {k: [v] for k, v in deps.items()})  # fmt: skip

    new_bucket = resource("aws:s3/bucket:Bucket", "new", {"bucket": UNKNOWN_STRING_VALUE})
    old_bucket = resource("aws:s3/bucket:Bucket", "old", {"bucket": "old"})
    versionings = [
        resource("aws:s3/bucketVersioning:BucketVersioning", "new-v",
                 {"bucket": UNKNOWN_STRING_VALUE, "versioningConfiguration": {"status": "Enabled"}},
                 bucket=new_bucket),
        resource("aws:s3/bucketVersioning:BucketVersioning", "old-v",
                 {"bucket": "old", "versioningConfiguration": {"status": "Suspended"}},
                 bucket=old_bucket),
    ]  # fmt: skip
    args = StackValidationArgs([new_bucket, old_bucket, *versionings], {})
    assert [name for name, _ in versioning_check(args, {})] == ["bucket old is not versioned"]

    group = resource("aws:ec2/securityGroup:SecurityGroup", "g", {})
    rules = [
        resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "computed",
                 {"fromPort": 443, "toPort": 443, "cidrIpv4": UNKNOWN_STRING_VALUE},
                 securityGroupId=group),
        resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ssh",
                 {"fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"}, securityGroupId=group),
    ]  # fmt: skip
    found = list(world_check(StackValidationArgs([group, *rules], {}), {}))
    assert [urn for _, urn in found] == ["urn:ssh"]


def test_instances_from_a_launch_template_are_judged_by_the_template() -> None:
    instance = r("aws:ec2/instance:Instance", "i", {"launchTemplate": {"id": "lt-1"}})
    assert _violations("aws-ec2-launch-template-imdsv2", [instance]) == []


def test_exclusive_attachments_of_administrator_access_are_refused() -> None:
    exclusive = r("aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive", "x",
                  {"roleName": "r", "policyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]})  # fmt: skip
    assert _violations("aws-iam-no-administrator-access", [exclusive])


def test_pss_details_admission_accepts_or_refuses() -> None:
    """A CronJob's pod annotations are read for AppArmor; the 1.32 safe sysctls pass."""
    cron = _of_kind("CronJob", CONTAINER)
    template = cron["spec"]["jobTemplate"]["spec"]["template"]
    template["metadata"]["annotations"] = {
        "container.apparmor.security.beta.kubernetes.io/api": "unconfined"
    }
    type_ = next(t for t in WORKLOAD_TYPES if t.endswith(":CronJob"))
    assert _violations("kubernetes-pss-apparmor", [r(type_, "x", cron)])
    pod = _of_kind("Deployment", CONTAINER)
    _pod_of(pod)["securityContext"]["sysctls"] = [{"name": "net.ipv4.tcp_rmem", "value": "4096"}]
    assert _violations("kubernetes-pss-sysctls", [r(DEP, "x", pod)]) == []
