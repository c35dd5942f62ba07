"""The AWS CDK stack's template, asserted with aws_cdk.assertions (no AWS account: synthesis is local).

`make infra-check` runs this file after `cdk synth`, cfn-lint and checkov.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")  # jsii's node 20 notice

from aws_cdk.assertions import Match, Template

from infra.app import build_app
from infra.stacks import (
    BATCH_JOB_WRITE_PREFIXES,
    CORRECTIONS_PREFIX,
    CORRECTIONS_RETENTION_DAYS,
    RAW_SOURCE_PREFIXES,
)
from northstar.batches import Window, landing_prefix
from northstar.sources.finance import reports as finance
from northstar.sources.stripe import events as stripe_events
from northstar.sources.stripe import landing as stripe_landing
from northstar.sources.wms.landing import SYSTEM as WMS_RAW

# Actions that support no resource-level permission in IAM, so Resource "*" is the only way to allow them.
RESOURCE_STAR_ALLOWED = {
    "ecr:GetAuthorizationToken",  # execution roles pulling images (CDK)
    # the Prefect worker (infra/stacks.py, _prefect_worker)
    "ecs:DescribeTaskDefinition",
    "ecs:RegisterTaskDefinition",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "ec2:DescribeSecurityGroups",
}


@pytest.fixture(scope="module")
def template() -> Template:
    _app, stack = build_app()
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def resources(template: Template) -> dict[str, Any]:
    return template.to_json()["Resources"]


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def _landing(resources: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    [(name, bucket)] = [(n, b) for n, b in _of_type(resources, "AWS::S3::Bucket").items() if "Landing" in n]
    return name, bucket["Properties"]


def _bucket_policy(resources: dict[str, Any], bucket: str) -> list[dict[str, Any]]:
    [policy] = [
        p for p in _of_type(resources, "AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    return policy["Properties"]["PolicyDocument"]["Statement"]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _object_arn_suffix(resource: Any) -> str:
    """'/raw/stripe/*' from {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/raw/stripe/*"]]}."""
    return resource["Fn::Join"][1][-1] if isinstance(resource, dict) and "Fn::Join" in resource else str(resource)


def _role_statements(resources: dict[str, Any], role_name: str) -> list[dict[str, Any]]:
    """Every statement of every policy attached to the role named role_name (inline, attached or managed)."""
    [(logical, role)] = [
        (n, r) for n, r in _of_type(resources, "AWS::IAM::Role").items() if r["Properties"].get("RoleName") == role_name
    ]
    assert not role["Properties"].get("ManagedPolicyArns"), "job roles carry no managed policy"
    statements = [s for p in role["Properties"].get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    for policy in _of_type(resources, "AWS::IAM::Policy").values():
        if {"Ref": logical} in policy["Properties"].get("Roles", []):
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _policy_documents(node: Any) -> Iterator[dict[str, Any]]:
    """Every policy document anywhere in the template (IAM, bucket, topic, key and trust policies)."""
    if isinstance(node, dict):
        if "Statement" in node and "Version" in node:
            yield node
        for value in node.values():
            yield from _policy_documents(value)
    elif isinstance(node, list):
        for value in node:
            yield from _policy_documents(value)


def test_raw_expires_after_90_days_but_not_corrections(resources: dict[str, Any]) -> None:
    _, bucket = _landing(resources)
    rules = bucket["LifecycleConfiguration"]["Rules"]
    expiring = {r["Prefix"]: r for r in rules if "ExpirationInDays" in r}
    assert set(expiring) == set(RAW_SOURCE_PREFIXES)
    for prefix, rule in expiring.items():
        assert prefix.startswith("raw/") and rule["ExpirationInDays"] == 90 and rule["Status"] == "Enabled"
        assert not CORRECTIONS_PREFIX.startswith(prefix), f"{prefix} would expire evidence"
    # no rule of any kind without a prefix, or on raw/ as a whole, may touch raw/corrections/
    for rule in rules:
        if "ExpirationInDays" in rule or "NoncurrentVersionExpiration" in rule:
            assert rule.get("Prefix") and not CORRECTIONS_PREFIX.startswith(rule["Prefix"])


def test_every_landed_prefix_the_code_writes_has_its_expiry_rule() -> None:
    window = Window(datetime(2026, 11, 20, 12, tzinfo=UTC), datetime(2026, 11, 20, 12, 15, tzinfo=UTC))
    written = [
        landing_prefix("orders", window, "b"),
        landing_prefix(WMS_RAW, window, "b"),
        stripe_landing.ARRIVALS,
        stripe_landing.PREFIX,
        stripe_events.PREFIX,
        finance.PREFIX,
    ]
    for prefix in written:
        assert any(prefix.startswith(rule) for rule in RAW_SOURCE_PREFIXES), prefix


def test_object_lock_is_on_and_corrections_must_be_locked_in_compliance_mode(resources: dict[str, Any]) -> None:
    name, bucket = _landing(resources)
    assert bucket["ObjectLockEnabled"] is True
    assert bucket["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled"}  # no default rule: per object
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    statements = _bucket_policy(resources, name)
    corrections = [s for s in statements if _object_arn_suffix(s["Resource"]) == f"/{CORRECTIONS_PREFIX}*"]
    assert all(s["Effect"] == "Deny" and s["Principal"] == {"AWS": "*"} for s in corrections)
    by_sid = {s["Sid"]: s for s in corrections}
    assert "s3:DeleteObject*" in _as_list(by_sid["CorrectionsNeverDeleted"]["Action"])
    assert by_sid["CorrectionsOnlyUnderComplianceLock"]["Condition"] == {
        "StringNotEquals": {"s3:object-lock-mode": "COMPLIANCE"}
    }
    assert by_sid["CorrectionsLockedSevenYears"]["Condition"] == {
        "NumericLessThan": {"s3:object-lock-remaining-retention-days": str(CORRECTIONS_RETENTION_DAYS)}
    }
    assert CORRECTIONS_RETENTION_DAYS >= 7 * 365


def test_landing_bucket_is_encrypted_with_the_kms_key(resources: dict[str, Any]) -> None:
    _, bucket = _landing(resources)
    [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    key_ref = rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0]
    assert resources[key_ref]["Type"] == "AWS::KMS::Key"
    assert resources[key_ref]["Properties"]["EnableKeyRotation"] is True
    assert rule["BucketKeyEnabled"] is True
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }


def test_landing_bucket_refuses_anything_but_tls(resources: dict[str, Any]) -> None:
    name, _ = _landing(resources)
    statements = _bucket_policy(resources, name)
    insecure = [s for s in statements if s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}]
    assert len(insecure) == 1
    assert (
        insecure[0]["Effect"] == "Deny" and insecure[0]["Action"] == "s3:*" and insecure[0]["Principal"] == {"AWS": "*"}
    )
    assert len(insecure[0]["Resource"]) == 2  # the bucket and every object
    old_tls = [s for s in statements if "s3:TlsVersion" in str(s.get("Condition"))]
    assert old_tls and old_tls[0]["Effect"] == "Deny"


def test_receiver_role_may_only_put_and_read_back_under_raw_stripe(resources: dict[str, Any]) -> None:
    allowed = [s for s in _role_statements(resources, "northstar-stripe-receiver") if s["Effect"] == "Allow"]
    s3_allowed = [s for s in allowed if any(a.startswith("s3:") for a in _as_list(s["Action"]))]
    assert sorted(a for s in s3_allowed for a in _as_list(s["Action"])) == ["s3:GetObject", "s3:PutObject"]
    for statement in s3_allowed:
        assert [_object_arn_suffix(r) for r in _as_list(statement["Resource"])] == ["/raw/stripe/*"]
    # The only other permissions: the KMS calls SSE-KMS needs for that put and read, and only through S3.
    others = [s for s in allowed if s not in s3_allowed]
    assert sorted(a for s in others for a in _as_list(s["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
    for statement in others:
        assert statement["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}


def test_batch_roles_read_raw_and_write_only_their_prefixes(resources: dict[str, Any]) -> None:
    for job, prefixes in BATCH_JOB_WRITE_PREFIXES.items():
        statements = _role_statements(resources, f"northstar-{job}")
        puts = [s for s in statements if s["Effect"] == "Allow" and "s3:PutObject" in _as_list(s["Action"])]
        written = sorted(_object_arn_suffix(r) for s in puts for r in _as_list(s["Resource"]))
        assert written == sorted(f"/{p}*" for p in prefixes), job
        reads = [s for s in statements if s["Effect"] == "Allow" and "s3:GetObject" in _as_list(s["Action"])]
        assert [_object_arn_suffix(r) for s in reads for r in _as_list(s["Resource"])] == ["/raw/*"], job
        denies = [s for s in statements if s["Effect"] == "Deny"]
        assert any(
            "s3:DeleteObject*" in _as_list(s["Action"]) and _object_arn_suffix(s["Resource"]) == "/raw/corrections/*"
            for s in denies
        ), job
        actions = {a for s in statements if s["Effect"] == "Allow" for a in _as_list(s["Action"])}
        assert not any(a.startswith("s3:Delete") for a in actions), job


def test_one_task_role_per_job(resources: dict[str, Any]) -> None:
    task_roles = [
        t["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]
        for t in _of_type(resources, "AWS::ECS::TaskDefinition").values()
    ]
    assert len(task_roles) == len(set(task_roles))
    executions = [
        t["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
        for t in _of_type(resources, "AWS::ECS::TaskDefinition").values()
    ]
    assert not set(task_roles) & set(executions)


def test_no_policy_allows_every_action_on_every_resource(resources: dict[str, Any]) -> None:
    documents = list(_policy_documents(resources))
    assert len(documents) > 20
    for document in documents:
        for statement in document["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            actions = _as_list(statement.get("Action", []))
            assert "*" not in actions, statement
            assert "NotAction" not in statement and "NotResource" not in statement, statement
    # IAM policies: Resource "*" only for the actions that cannot be scoped to a resource.
    for policy in _of_type(resources, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Allow" and "*" in _as_list(statement["Resource"]):
                assert set(_as_list(statement["Action"])) <= RESOURCE_STAR_ALLOWED, statement


def test_secrets_are_injected_from_secrets_manager_never_as_plain_values(resources: dict[str, Any]) -> None:
    secret_words = ("KEY", "SECRET", "PASSWORD", "TOKEN", "WEBHOOK", "DSN", "KNOWN_HOSTS")
    injected: set[str] = set()
    for task in _of_type(resources, "AWS::ECS::TaskDefinition").values():
        for container in task["Properties"]["ContainerDefinitions"]:
            for env in container.get("Environment", []):
                assert not any(word in env["Name"] for word in secret_words), env["Name"]
            for secret in container.get("Secrets", []):
                injected.add(secret["Name"])
                assert "Fn::Join" in secret["ValueFrom"] or "Ref" in secret["ValueFrom"], secret
    assert {
        "SNOWFLAKE_PRIVATE_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_API_KEY",
        "NORTHSTAR_SLACK_WEBHOOK_URL",
    } <= injected
    for secret in _of_type(resources, "AWS::SecretsManager::Secret").values():
        assert "KmsKeyId" in secret["Properties"], "secrets are encrypted with the project's KMS key"


def test_batch_task_definitions_for_the_ecs_work_pool(template: Template) -> None:
    for job in BATCH_JOB_WRITE_PREFIXES:
        template.has_resource_properties(
            "AWS::ECS::TaskDefinition",
            {
                "Family": f"northstar-{job}",
                "Cpu": "2048",
                "Memory": "8192",
                "RequiresCompatibilities": ["FARGATE"],
                "ContainerDefinitions": [
                    Match.object_like(
                        {"Image": Match.object_like({"Fn::Join": Match.any_value()}), "ReadonlyRootFilesystem": True}
                    )
                ],
            },
        )


def test_receiver_service_behind_https_alb_scaling_3_to_6(template: Template, resources: dict[str, Any]) -> None:
    template.has_resource_properties("AWS::ECS::Service", {"DesiredCount": 3, "LaunchType": "FARGATE"})
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {"Port": 443, "Protocol": "HTTPS", "SslPolicy": Match.string_like_regexp("TLS")},
    )
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {"Scheme": "internet-facing", "Subnets": Match.any_value()},
    )
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::TargetGroup", {"HealthCheckPath": "/healthz"})
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 3, "MaxCapacity": 6}
    )
    metrics = sorted(
        p["Properties"]["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
            "PredefinedMetricType"
        ]
        for p in _of_type(resources, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    )
    assert metrics == ["ALBRequestCountPerTarget", "ECSServiceAverageCPUUtilization"]
    [lb] = _of_type(resources, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert len(lb["Properties"]["Subnets"]) == 2  # two AZs


def test_s3_gateway_endpoint_and_two_azs(template: Template, resources: dict[str, Any]) -> None:
    template.has_resource_properties("AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Gateway"})
    [endpoint] = _of_type(resources, "AWS::EC2::VPCEndpoint").values()
    assert "s3" in str(endpoint["Properties"]["ServiceName"])
    azs = {s["Properties"]["AvailabilityZone"] for s in _of_type(resources, "AWS::EC2::Subnet").values()}
    assert azs == {"us-east-1a", "us-east-1b"}


def test_receiver_alarms_go_to_the_slack_topic(resources: dict[str, Any]) -> None:
    [topic] = _of_type(resources, "AWS::SNS::Topic")
    alarms = _of_type(resources, "AWS::CloudWatch::Alarm")
    watched = sorted(
        a["Properties"].get("MetricName")
        or str([m["Expression"] for m in a["Properties"]["Metrics"] if "Expression" in m])
        for a in alarms.values()
    )
    assert watched == ["HealthyHostCount", "TargetResponseTime", "['100 * (target5xx + elb5xx) / MAX([requests, 1])']"]
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic}]
    [slack] = _of_type(resources, "AWS::Chatbot::SlackChannelConfiguration").values()
    assert slack["Properties"]["SnsTopicArns"] == [{"Ref": topic}]
    assert "AdministratorAccess" not in str(slack["Properties"]["GuardrailPolicies"])


def test_marquez_runs_on_fargate_with_an_encrypted_private_rds(template: Template) -> None:
    template.has_resource_properties(
        "AWS::RDS::DBInstance", {"Engine": "postgres", "StorageEncrypted": True, "PubliclyAccessible": False}
    )
    template.has_resource_properties("AWS::ECS::TaskDefinition", {"Family": "northstar-marquez"})


def test_every_checkov_skip_says_why(resources: dict[str, Any]) -> None:
    skips = [s for r in resources.values() for s in r.get("Metadata", {}).get("checkov", {}).get("skip", [])]
    assert skips, "the template's known exceptions are listed"
    for skip in skips:
        assert skip["id"].startswith("CKV") and len(skip["comment"]) > 40, skip
