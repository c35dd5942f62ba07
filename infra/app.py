"""The CDK app: `cdk synth --app ".venv/bin/python -m infra.app"` from the repository root (see `make infra-check`).

Synthesis needs no AWS account and no network: the account and region are fixed dummies unless given by
context (`-c account=123456789012 -c region=us-east-1`), and the two availability zones are given as
context, so the VPC never asks AWS for them.
"""

from __future__ import annotations

import aws_cdk as cdk

from infra.stacks import NorthstarStack, Settings

DUMMY_ACCOUNT = "111111111111"
REGION = "us-east-1"
# CDK feature flags this app relies on (a new `cdk init` project sets them in cdk.json).
FEATURE_FLAGS = {
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,  # log delivery by bucket policy, not a legacy ACL
    "@aws-cdk/aws-iam:minimizePolicies": True,
    "@aws-cdk/aws-ec2:restrictDefaultSecurityGroup": False,  # would add a Lambda custom resource; no SG is default
    "@aws-cdk/aws-ecs:disableExplicitDeploymentControllerForCircuitBreaker": True,
}


def build_app(context: dict[str, str] | None = None, outdir: str | None = None) -> tuple[cdk.App, NorthstarStack]:
    """The app and its one stack; context overrides the Settings fields of the same name (given as strings)."""
    context = dict(context or {})
    account = context.pop("account", DUMMY_ACCOUNT)
    region = context.pop("region", REGION)
    azs_key = f"availability-zones:account={account}:region={region}"
    app = cdk.App(context={azs_key: [f"{region}a", f"{region}b"], **FEATURE_FLAGS, **context}, outdir=outdir)
    overrides = {
        name: app.node.try_get_context(name)
        for name in Settings.__dataclass_fields__
        if name != "extra_tags" and app.node.try_get_context(name) is not None
    }
    settings = Settings(**{k: type(getattr(Settings(), k))(v) for k, v in overrides.items()})
    env = cdk.Environment(account=account, region=region)
    stack = NorthstarStack(
        app,
        "Northstar",
        settings=settings,
        env=env,
        description="Northstar: landing bucket, KMS, secrets, VPC, ECS batch jobs, Stripe receiver, Marquez, alarms",
    )
    cdk.Tags.of(stack).add("project", "northstar")
    return app, stack


if __name__ == "__main__":
    build_app()[0].synth()
