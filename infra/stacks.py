"""The CDK stack of Northstar's production on AWS (us-east-1), in two halves.

`Data` holds what outlives a redeploy: the KMS key, the landing bucket (raw data, evidence
bundles under S3 Object Lock), its access-log bucket and the Secrets Manager secrets (created empty of
real values: an operator puts them after the first deploy, they are never in code, images or logs).

`Services` holds what runs: the VPC (two AZs, an S3 gateway endpoint), the ECS cluster, the
batch jobs' task definitions for the Prefect ECS work pool (one IAM role per job), the Prefect worker,
the Stripe receiver behind an HTTPS ALB, Marquez on Fargate with RDS PostgreSQL, and the receiver's
CloudWatch alarms to an SNS topic that AWS Chatbot posts to Slack.

Nothing here calls AWS at synth time: the account is a fixed dummy unless given by context
(`-c account=...`), and the availability zones come from context set in `infra/app.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import CfnOutput, CfnResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as sm
from aws_cdk import aws_sns as sns
from constructs import Construct

# Raw data expires after this many days (README "Production shape (AWS)").
RAW_RETENTION_DAYS = 90
# The landed sources under raw/: each gets its own 90-day expiry rule. S3 lifecycle filters cannot exclude a
# prefix, so one rule on raw/ would also expire raw/corrections/; listing the sources keeps the evidence out.
# A new source under raw/ needs its line here (tests/test_infra.py checks the landing code's prefixes).
RAW_SOURCE_PREFIXES = ("raw/orders/", "raw/stripe/", "raw/wms/", "raw/finance/")
# Evidence bundles of corrections: written once with per-object COMPLIANCE retention, never expired.
CORRECTIONS_PREFIX = "raw/corrections/"
CORRECTIONS_RETENTION_DAYS = 7 * 365 + 2  # seven years (SOX record retention), leap days included

# The batch jobs the Prefect ECS work pool runs: the prefixes each may write under (all read raw/).
BATCH_JOB_WRITE_PREFIXES: dict[str, tuple[str, ...]] = {
    "orders": ("raw/orders/",),
    "payments": ("raw/stripe/_batches/",),  # the batch's write-once manifest only
    "stripe-recover": ("raw/stripe/",),  # lands missed events through the receiver's path, and its manifest
    "fulfillment": ("raw/wms/",),
    "consistency": (),  # reads raw/finance/ and the warehouse; writes nothing to the landing store
}
# Secrets each batch job receives, by environment variable (name of the secret in NorthstarData, JSON field).
BATCH_JOB_SECRETS: dict[str, dict[str, tuple[str, str | None]]] = {
    "orders": {"NORTHSTAR_SOURCE_PG_DSN": ("orders-source", "dsn")},
    "payments": {},
    "stripe-recover": {"STRIPE_API_KEY": ("stripe-api", "api_key")},
    "fulfillment": {
        "NORTHSTAR_SFTP_PRIVATE_KEY": ("sftp", "private_key"),
        "NORTHSTAR_SFTP_KNOWN_HOSTS_LINE": ("sftp", "known_hosts"),
    },
    "consistency": {},
}
COMMON_BATCH_SECRETS: dict[str, tuple[str, str | None]] = {
    "SNOWFLAKE_PRIVATE_KEY": ("snowflake", "private_key"),
    "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": ("snowflake", "private_key_passphrase"),
    "NORTHSTAR_SLACK_WEBHOOK_URL": ("slack", "webhook_url"),
}
# Secrets Manager secrets: short name -> what it holds (JSON fields). Values are put by an operator.
SECRETS = {
    "snowflake": "Snowflake key-pair authentication: private_key (PEM), private_key_passphrase",
    "stripe-webhook": "Stripe webhook endpoint secrets: webhook_secrets (comma-separated during a rotation)",
    "stripe-api": "Stripe API: api_key (a restricted key that can read events, for stripe-recover)",
    "slack": "Slack incoming webhook: webhook_url",
    "orders-source": "The orders PostgreSQL source: dsn (read-only user)",
    "sftp": "WMS/3PL SFTP: private_key (OpenSSH), known_hosts (the server's pinned host key line)",
    "prefect": "Prefect Cloud: api_key (a service account's key), api_url (the workspace URL)",
}


def checkov_skip(construct: Construct, check_id: str, reason: str) -> None:
    """Skip one checkov check on one resource, with its reason, in the template's Metadata (checkov reads it
    there; tests/test_infra.py checks that every skip has a reason). Never skip a check for the whole template."""
    resource = construct.node.default_child
    assert isinstance(resource, CfnResource), f"{construct.node.path} has no CloudFormation resource"
    metadata = resource.get_metadata("checkov") or {"skip": []}
    metadata["skip"].append({"id": check_id, "comment": reason})
    resource.add_metadata("checkov", metadata)


@dataclass(frozen=True)
class Settings:
    """Deployment settings from CDK context (`-c name=value`); the defaults let `cdk synth` run anywhere."""

    image_tag: str = "synth-placeholder"  # the pipeline image's tag in ECR (immutable tags: one per commit)
    marquez_image_tag: str = "0.51.1"  # Marquez mirrored into ECR (pull-through or copied), never Docker Hub
    receiver_domain: str = "webhooks.northstar.example"  # the certificate's name (DNS-validated in Route 53)
    slack_workspace_id: str = "T00000000"  # the Chatbot-authorised workspace (console, once per account)
    slack_channel_id: str = "C00000000"  # the pipeline's alert channel: the same one northstar.alerts posts to
    batch_cpu: int = 2048  # 2 vCPU (prefect.yaml's ECS work pool)
    batch_memory_mib: int = 8192  # 8 GB
    receiver_cpu: int = 512  # one uvicorn process per 0.5 vCPU / 1 GB task (README)
    receiver_memory_mib: int = 1024
    receiver_min_tasks: int = 3
    receiver_max_tasks: int = 6
    receiver_requests_per_target_per_minute: int = 250 * 60  # ALBRequestCountPerTarget is a per-minute sum
    receiver_cpu_target_percent: int = 60
    extra_tags: dict[str, str] = field(default_factory=dict)


class NorthstarStack(Stack):
    """Everything in one stack (cross-stack KMS and log-bucket grants would make the two halves depend on each
    other): the data half, kept on delete (RETAIN), then the services half."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.data = Data(self, "Data")
        self.services = Services(self, "Services", data=self.data, settings=settings)


class Data(Construct):
    """The KMS key, the landing bucket with its lifecycle and Object Lock, the access-log bucket, the secrets."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.region = Stack.of(self).region
        self.account = Stack.of(self).account
        self.key = kms.Key(
            self,
            "DataKey",
            alias="alias/northstar-data",
            description="Northstar: landing bucket, secrets, logs, SNS, RDS, ECR",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # CloudWatch Logs and alarms (to the encrypted SNS topic) use the key through their service principals.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogs",
                principals=[iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],  # in a key policy "*" is this key
                conditions={
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{self.region}:{self.account}:*"}
                },
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsToSns",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )

        # Server access logs and ALB access logs: these destinations only accept SSE-S3 (not SSE-KMS).
        self.log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,  # no ACLs: log delivery by bucket policy
            lifecycle_rules=[s3.LifecycleRule(id="expire-logs", expiration=Duration.days(365))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        checkov_skip(
            self.log_bucket,
            "CKV_AWS_18",
            "this bucket is the access-log destination; logging it into itself would log its own log writes",
        )

        self.landing = s3.Bucket(
            self,
            "Landing",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,  # one KMS data key per bucket and period, not one KMS call per PUT
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,  # Deny when aws:SecureTransport is false
            minimum_tls_version=1.2,
            versioned=True,
            # Object Lock is enabled on the bucket WITHOUT a default retention: a default would lock every
            # object under raw/ for seven years, so the 90-day expiry could never remove them. Retention is
            # set per object instead: writers of raw/corrections/ put each evidence object with
            # x-amz-object-lock-mode=COMPLIANCE and a retain-until date seven years ahead, and the bucket policy
            # below refuses any put under raw/corrections/ that does not.
            object_lock_enabled=True,
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix="landing/",
            lifecycle_rules=[*_raw_expiry_rules(), _multipart_rule()],
            removal_policy=RemovalPolicy.RETAIN,
        )
        # Explicit in the template: Object Lock on, and no default rule (retention is per object, see above).
        landing_cfn = self.landing.node.default_child
        assert isinstance(landing_cfn, s3.CfnBucket)
        landing_cfn.object_lock_configuration = s3.CfnBucket.ObjectLockConfigurationProperty(
            object_lock_enabled="Enabled"
        )
        corrections = self.landing.arn_for_objects(CORRECTIONS_PREFIX + "*")
        self.landing.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CorrectionsNeverDeleted",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:DeleteObject*", "s3:PutObjectRetention", "s3:PutObjectLegalHold"],
                resources=[corrections],
            )
        )
        self.landing.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CorrectionsOnlyUnderComplianceLock",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[corrections],
                # A put without the header has no s3:object-lock-mode: StringNotEquals is then true, so it is denied.
                conditions={"StringNotEquals": {"s3:object-lock-mode": "COMPLIANCE"}},
            )
        )
        self.landing.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CorrectionsLockedSevenYears",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[corrections],
                conditions={
                    "NumericLessThan": {"s3:object-lock-remaining-retention-days": str(CORRECTIONS_RETENTION_DAYS)}
                },
            )
        )

        self.secrets: dict[str, sm.Secret] = {}
        for name, description in SECRETS.items():
            self.secrets[name] = sm.Secret(
                self,
                f"Secret-{name}",
                secret_name=f"northstar/{name}",
                description=description,
                encryption_key=self.key,
                removal_policy=RemovalPolicy.RETAIN,
            )
        CfnOutput(self, "LandingBucketName", value=self.landing.bucket_name)


def _raw_expiry_rules() -> list[s3.LifecycleRule]:
    """One 90-day rule per landed source; none covers raw/corrections/."""
    return [
        s3.LifecycleRule(
            id=f"expire-{prefix.strip('/').replace('/', '-')}",
            prefix=prefix,
            expiration=Duration.days(RAW_RETENTION_DAYS),
            # versioned bucket: expiry makes the version noncurrent; remove it a day later, and the marker
            noncurrent_version_expiration=Duration.days(1),
        )
        for prefix in RAW_SOURCE_PREFIXES
    ]


def _multipart_rule() -> s3.LifecycleRule:
    return s3.LifecycleRule(id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(2))


class Services(Construct):
    """Network, ECS, the batch jobs, the receiver, Marquez, alarms."""

    def __init__(self, scope: Construct, construct_id: str, *, data: Data, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        self.region = Stack.of(self).region
        self.account = Stack.of(self).account
        self.data = data
        self.settings = settings
        key = data.key

        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=2,  # one per AZ: a task in either AZ reaches Snowflake, Stripe, SFTP, Prefect Cloud
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22),
                ec2.SubnetConfiguration(name="db", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=26),
            ],
            # S3 traffic (every landed event, every batch's reads) goes through the free gateway endpoint, not NAT.
            gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
        )
        flow_logs = logs.LogGroup(self, "VpcFlowLogs", retention=logs.RetentionDays.THREE_MONTHS, encryption_key=key)
        self.vpc.add_flow_log("FlowLogs", destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs))

        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=self.vpc,
            cluster_name="northstar",
            container_insights_v2=ecs.ContainerInsights.ENABLED,
            default_cloud_map_namespace=ecs.CloudMapNamespaceOptions(
                name="northstar.internal", use_for_service_connect=False
            ),
        )
        self.repository = ecr.Repository(
            self,
            "PipelineImages",
            repository_name="northstar/pipeline",
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            encryption=ecr.RepositoryEncryption.KMS,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.marquez_repository = ecr.Repository(
            self,
            "MarquezImages",
            repository_name="northstar/marquez",
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            encryption=ecr.RepositoryEncryption.KMS,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.log_group = logs.LogGroup(
            self,
            "TaskLogs",
            log_group_name="/northstar/tasks",
            retention=logs.RetentionDays.ONE_MONTH,
            encryption_key=key,
        )

        self.marquez_url = self._marquez()
        self.job_roles: dict[str, iam.Role] = {}
        self.task_definitions: dict[str, ecs.FargateTaskDefinition] = {}
        for job, prefixes in BATCH_JOB_WRITE_PREFIXES.items():
            self._batch_job(job, prefixes)
        self._prefect_worker()
        self.receiver_role, self.receiver_service, self.receiver_lb, self.receiver_targets = self._receiver()
        self.alarm_topic = self._alarms()

    # ----- IAM helpers -------------------------------------------------------------------------------------

    def _landing_statements(self, *, read_raw: bool, write_prefixes: tuple[str, ...]) -> list[iam.PolicyStatement]:
        """S3 and KMS statements for one role: read raw/ (optional), put under its prefixes, never delete evidence."""
        bucket = self.data.landing
        via_s3 = {"StringEquals": {"kms:ViaService": f"s3.{self.region}.amazonaws.com"}}
        statements: list[iam.PolicyStatement] = []
        if read_raw:
            statements += [
                iam.PolicyStatement(
                    sid="ListRaw",
                    actions=["s3:ListBucket"],
                    resources=[bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": ["raw/*"]}},
                ),
                iam.PolicyStatement(
                    sid="ReadRaw", actions=["s3:GetObject"], resources=[bucket.arn_for_objects("raw/*")]
                ),
                iam.PolicyStatement(
                    sid="DecryptRaw", actions=["kms:Decrypt"], resources=[self.data.key.key_arn], conditions=via_s3
                ),
            ]
        if write_prefixes:
            statements += [
                iam.PolicyStatement(
                    sid="WriteOwnPrefixes",
                    actions=["s3:PutObject"],
                    resources=[bucket.arn_for_objects(prefix + "*") for prefix in write_prefixes],
                ),
                iam.PolicyStatement(
                    sid="EncryptWrites",
                    actions=["kms:GenerateDataKey"],
                    resources=[self.data.key.key_arn],
                    conditions=via_s3,
                ),
            ]
        statements.append(
            iam.PolicyStatement(
                sid="NeverDeleteCorrections",
                effect=iam.Effect.DENY,
                actions=["s3:DeleteObject*"],
                resources=[bucket.arn_for_objects(CORRECTIONS_PREFIX + "*")],
            )
        )
        return statements

    def _task_role(self, job: str, statements: list[iam.PolicyStatement]) -> iam.Role:
        role = iam.Role(
            self,
            f"Role-{job}",
            role_name=f"northstar-{job}",
            description=f"Northstar {job}: only what this job needs",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
        )
        policy = iam.Policy(self, f"Policy-{job}", statements=statements)
        policy.attach_to_role(role)
        return role

    def _secrets(self, wanted: dict[str, tuple[str, str | None]]) -> dict[str, ecs.Secret]:
        return {
            env: ecs.Secret.from_secrets_manager(self.data.secrets[name], field=json_field)
            for env, (name, json_field) in wanted.items()
        }

    def _container_logs(self, prefix: str) -> ecs.LogDriver:
        return ecs.LogDrivers.aws_logs(stream_prefix=prefix, log_group=self.log_group)

    # ----- batch jobs and the Prefect worker ------------------------------------------------------------------

    def _batch_job(self, job: str, write_prefixes: tuple[str, ...]) -> None:
        """One task definition and one task role per job; Prefect's ECS worker runs it (task_definition_arn)."""
        role = self._task_role(job, self._landing_statements(read_raw=True, write_prefixes=write_prefixes))
        task = ecs.FargateTaskDefinition(
            self,
            f"Task-{job}",
            family=f"northstar-{job}",
            cpu=self.settings.batch_cpu,
            memory_limit_mib=self.settings.batch_memory_mib,
            ephemeral_storage_gib=40,  # DuckDB spills a multi-GB payments batch to the work folder
            task_role=role,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64, operating_system_family=ecs.OperatingSystemFamily.LINUX
            ),
        )
        task.add_volume(name="scratch")
        container = task.add_container(
            "flow",
            image=ecs.ContainerImage.from_ecr_repository(self.repository, self.settings.image_tag),
            logging=self._container_logs(job),
            readonly_root_filesystem=True,
            environment={
                "NORTHSTAR_PROFILE": "aws",
                "NORTHSTAR_HOME": "/scratch/northstar",
                "TMPDIR": "/scratch/tmp",
                "NORTHSTAR_LANDING_BUCKET": self.data.landing.bucket_name,
                "NORTHSTAR_MARQUEZ_URL": self.marquez_url,
                "SNOWFLAKE_WAREHOUSE": "NORTHSTAR_LOAD_WH",
                # sql/snowflake/admin/03_roles.sql: the consistency flow writes the marts, the sources do not
                "SNOWFLAKE_ROLE": "NORTHSTAR_TRANSFORMER" if job == "consistency" else "NORTHSTAR_LOADER",
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            },
            secrets=self._secrets(COMMON_BATCH_SECRETS | BATCH_JOB_SECRETS[job]),
        )
        container.add_mount_points(ecs.MountPoint(container_path="/scratch", source_volume="scratch", read_only=False))
        self.job_roles[job] = role
        self.task_definitions[job] = task
        CfnOutput(self, f"TaskDefinition-{job}", value=task.task_definition_arn)

    def _prefect_worker(self) -> None:
        """`prefect worker start --pool northstar-ecs --type ecs`: runs the job task definitions, nothing else."""
        role = self._task_role(
            "prefect-worker",
            [
                iam.PolicyStatement(
                    sid="RunJobTasks",
                    actions=["ecs:RunTask"],
                    resources=[f"arn:aws:ecs:{self.region}:{self.account}:task-definition/northstar-*"],
                    conditions={"ArnEquals": {"ecs:cluster": self.cluster.cluster_arn}},
                ),
                iam.PolicyStatement(
                    sid="WatchJobTasks",
                    actions=["ecs:DescribeTasks", "ecs:StopTask"],
                    resources=[f"arn:aws:ecs:{self.region}:{self.account}:task/{self.cluster.cluster_name}/*"],
                ),
                iam.PolicyStatement(
                    # These support no resource-level permission: named actions on "*", never "*" on "*".
                    # prefect-aws registers a task definition when a deployment's job variables override the
                    # image, cpu or memory; what that definition may run as is bounded by PassJobRoles below.
                    # The ec2 reads resolve the work pool's subnets and security groups.
                    sid="NoResourceLevelActions",
                    actions=[
                        "ecs:DescribeTaskDefinition",
                        "ecs:RegisterTaskDefinition",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeVpcs",
                        "ec2:DescribeSecurityGroups",
                    ],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="PassJobRoles",
                    actions=["iam:PassRole"],
                    resources=[
                        *(r.role_arn for r in self.job_roles.values()),
                        *(t.obtain_execution_role().role_arn for t in self.task_definitions.values()),
                    ],
                    conditions={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                ),
                iam.PolicyStatement(
                    sid="ReadJobLogs",
                    actions=["logs:GetLogEvents"],
                    resources=[f"{self.log_group.log_group_arn}:log-stream:*"],
                ),
            ],
        )
        task = ecs.FargateTaskDefinition(
            self,
            "Task-prefect-worker",
            family="northstar-prefect-worker",
            cpu=512,
            memory_limit_mib=1024,
            task_role=role,
        )
        task.add_container(
            "worker",
            image=ecs.ContainerImage.from_ecr_repository(self.repository, self.settings.image_tag),
            command=["prefect", "worker", "start", "--pool", "northstar-ecs", "--type", "ecs"],
            logging=self._container_logs("prefect-worker"),
            readonly_root_filesystem=False,  # the worker writes Prefect's home; it holds no data
            environment={"PREFECT_SERVER_ANALYTICS_ENABLED": "false"},
            secrets=self._secrets(
                {"PREFECT_API_KEY": ("prefect", "api_key"), "PREFECT_API_URL": ("prefect", "api_url")}
            ),
        )
        ecs.FargateService(
            self,
            "PrefectWorker",
            cluster=self.cluster,
            task_definition=task,
            desired_count=1,
            min_healthy_percent=100,  # a deploy starts the new task before stopping the old one
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
        )

    # ----- the Stripe receiver ---------------------------------------------------------------------------------

    def _receiver(
        self,
    ) -> tuple[iam.Role, ecs.FargateService, elbv2.ApplicationLoadBalancer, elbv2.ApplicationTargetGroup]:
        """The webhook receiver: Fargate behind an HTTPS ALB, 3 tasks over two AZs, scaling to 6."""
        s = self.settings
        # Put objects under raw/stripe/ (plus the KMS data key SSE-KMS needs for a put), and read back only what it
        # wrote there: a redelivered event's envelope, to find whether its first arrival entry was recorded
        # (northstar/sources/stripe/landing.py, land_prepared). Nothing else, nowhere else.
        stripe = self.data.landing.arn_for_objects("raw/stripe/*")
        via_s3 = {"StringEquals": {"kms:ViaService": f"s3.{self.region}.amazonaws.com"}}
        read_back = [
            iam.PolicyStatement(sid="ReadBackOwnEvents", actions=["s3:GetObject"], resources=[stripe]),
            iam.PolicyStatement(
                sid="DecryptOwnEvents", actions=["kms:Decrypt"], resources=[self.data.key.key_arn], conditions=via_s3
            ),
        ]
        role = self._task_role(
            "stripe-receiver",
            self._landing_statements(read_raw=False, write_prefixes=("raw/stripe/",)) + read_back,
        )
        task = ecs.FargateTaskDefinition(
            self,
            "Task-stripe-receiver",
            family="northstar-stripe-receiver",
            cpu=s.receiver_cpu,
            memory_limit_mib=s.receiver_memory_mib,
            task_role=role,
        )
        container = task.add_container(
            "receiver",
            image=ecs.ContainerImage.from_ecr_repository(self.repository, s.image_tag),
            command=["northstar", "webhooks", "serve", "--host", "0.0.0.0", "--port", "8000"],
            logging=self._container_logs("stripe-receiver"),
            readonly_root_filesystem=True,
            environment={
                "NORTHSTAR_PROFILE": "aws",
                "NORTHSTAR_LANDING_BUCKET": self.data.landing.bucket_name,
                # uvicorn takes the client address from X-Forwarded-For for peers in this range (the ALB): the
                # receiver's per-client rate limit keys on the real caller (northstar/sources/stripe/limits.py)
                "FORWARDED_ALLOW_IPS": self.vpc.vpc_cidr_block,
            },
            secrets=self._secrets({"STRIPE_WEBHOOK_SECRET": ("stripe-webhook", "webhook_secrets")}),
            port_mappings=[ecs.PortMapping(container_port=8000)],
        )
        del container
        service = ecs.FargateService(
            self,
            "StripeReceiver",
            cluster=self.cluster,
            task_definition=task,
            desired_count=s.receiver_min_tasks,
            min_healthy_percent=100,  # a deploy never drops below 3 tasks
            max_healthy_percent=200,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),  # both AZs: ECS spreads
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
        )
        lb_sg = ec2.SecurityGroup(
            self, "ReceiverLbSg", vpc=self.vpc, allow_all_outbound=False, description="receiver ALB"
        )
        lb_sg.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "Stripe webhooks over HTTPS")
        lb = elbv2.ApplicationLoadBalancer(
            self,
            "ReceiverLb",
            vpc=self.vpc,
            internet_facing=True,
            security_group=lb_sg,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            drop_invalid_header_fields=True,
            deletion_protection=True,
        )
        lb.log_access_logs(self.data.log_bucket, prefix="receiver-alb")
        certificate = acm.Certificate(
            self, "ReceiverCertificate", domain_name=s.receiver_domain, validation=acm.CertificateValidation.from_dns()
        )
        listener = lb.add_listener(
            "Https",
            port=443,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            certificates=[certificate],
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
            open=False,  # ingress is the security group's single 443 rule above
            default_action=elbv2.ListenerAction.fixed_response(
                404, content_type="text/plain", message_body="not found"
            ),
        )
        targets = elbv2.ApplicationTargetGroup(
            self,
            "ReceiverTargets",
            vpc=self.vpc,
            port=8000,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            targets=[service],
            deregistration_delay=Duration.seconds(30),
            health_check=elbv2.HealthCheck(
                path="/healthz", healthy_http_codes="200", interval=Duration.seconds(10), healthy_threshold_count=2
            ),
        )
        listener.add_action(
            "Webhooks",
            priority=10,
            conditions=[
                elbv2.ListenerCondition.path_patterns(["/webhooks/stripe"]),
                elbv2.ListenerCondition.http_request_methods(["POST"]),
            ],
            action=elbv2.ListenerAction.forward([targets]),
        )
        service.connections.allow_from(lb_sg, ec2.Port.tcp(8000), "ALB to receiver")
        scaling = service.auto_scale_task_count(min_capacity=s.receiver_min_tasks, max_capacity=s.receiver_max_tasks)
        scaling.scale_on_request_count(
            "RequestsPerTask", requests_per_target=s.receiver_requests_per_target_per_minute, target_group=targets
        )
        scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=s.receiver_cpu_target_percent)
        CfnOutput(self, "ReceiverUrl", value=f"https://{s.receiver_domain}/webhooks/stripe")
        return role, service, lb, targets

    # ----- Marquez ------------------------------------------------------------------------------------------

    def _marquez(self) -> str:
        """Marquez (API on 5000) as one small Fargate task, with RDS PostgreSQL; its URL inside the VPC."""
        db_sg = ec2.SecurityGroup(self, "MarquezDbSg", vpc=self.vpc, allow_all_outbound=False, description="Marquez DB")
        database = rds.DatabaseInstance(
            self,
            "MarquezDb",
            engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_16_9),
            instance_type=ec2.InstanceType.of(ec2.InstanceClass.BURSTABLE4_GRAVITON, ec2.InstanceSize.SMALL),
            vpc=self.vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            security_groups=[db_sg],
            credentials=rds.Credentials.from_generated_secret(
                "marquez", secret_name="northstar/marquez-db", encryption_key=self.data.key
            ),
            database_name="marquez",
            allocated_storage=20,
            max_allocated_storage=100,
            storage_type=rds.StorageType.GP3,
            storage_encrypted=True,
            storage_encryption_key=self.data.key,
            multi_az=False,
            backup_retention=Duration.days(7),
            deletion_protection=True,
            cloudwatch_logs_exports=["postgresql"],
            auto_minor_version_upgrade=True,
            publicly_accessible=False,
            monitoring_interval=Duration.seconds(60),
            removal_policy=RemovalPolicy.SNAPSHOT,
        )
        checkov_skip(
            database,
            "CKV_AWS_157",
            "single-AZ on purpose: lineage is not on the data path (a Marquez outage is logged, loads go on), "
            "7 days of backups restore it; Multi-AZ would double its cost (docs/cost.md)",
        )
        checkov_skip(
            database,
            "CKV_AWS_161",
            "Marquez connects over JDBC with a user and password and cannot use IAM auth tokens; the password is "
            "generated into Secrets Manager (KMS) and injected as an ECS secret",
        )
        assert database.secret is not None
        # Marquez calls no AWS API: its task role (CDK's default) carries no policy at all.
        task = ecs.FargateTaskDefinition(
            self, "Task-marquez", family="northstar-marquez", cpu=512, memory_limit_mib=1024
        )
        task.add_container(
            "marquez",
            image=ecs.ContainerImage.from_ecr_repository(self.marquez_repository, self.settings.marquez_image_tag),
            logging=self._container_logs("marquez"),
            environment={
                "MARQUEZ_PORT": "5000",
                "MARQUEZ_ADMIN_PORT": "5001",
                "POSTGRES_HOST": database.db_instance_endpoint_address,
                "POSTGRES_PORT": database.db_instance_endpoint_port,
                "POSTGRES_DB": "marquez",
            },
            secrets={
                "POSTGRES_USER": ecs.Secret.from_secrets_manager(database.secret, field="username"),
                "POSTGRES_PASSWORD": ecs.Secret.from_secrets_manager(database.secret, field="password"),
            },
            port_mappings=[ecs.PortMapping(container_port=5000), ecs.PortMapping(container_port=5001)],
        )
        service = ecs.FargateService(
            self,
            "Marquez",
            cluster=self.cluster,
            task_definition=task,
            desired_count=1,
            min_healthy_percent=100,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            cloud_map_options=ecs.CloudMapOptions(name="marquez"),
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
        )
        database.connections.allow_default_port_from(service, "Marquez to its database")
        service.connections.allow_from(
            ec2.Peer.ipv4(self.vpc.vpc_cidr_block), ec2.Port.tcp(5000), "OpenLineage events from the batch tasks"
        )
        return "http://marquez.northstar.internal:5000"

    # ----- alarms -------------------------------------------------------------------------------------------

    def _alarms(self) -> sns.Topic:
        """Receiver alarms -> SNS (encrypted) -> AWS Chatbot -> the pipeline's Slack channel."""
        topic = sns.Topic(self, "Alarms", topic_name="northstar-alarms", master_key=self.data.key, enforce_ssl=True)
        lb, targets = self.receiver_lb, self.receiver_targets
        five_xx = cw.MathExpression(
            label="receiver 5xx %",
            expression="100 * (target5xx + elb5xx) / MAX([requests, 1])",
            using_metrics={
                "target5xx": lb.metrics.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, statistic="Sum"),
                "elb5xx": lb.metrics.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT, statistic="Sum"),
                "requests": lb.metrics.request_count(statistic="Sum"),
            },
            period=Duration.minutes(1),
        )
        alarms = [
            cw.Alarm(
                self,
                "Receiver5xxRate",
                alarm_description="More than 1% of webhook requests answered 5xx (Stripe will retry; find why)",
                metric=five_xx,
                threshold=1,
                evaluation_periods=5,
                datapoints_to_alarm=3,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            ),
            cw.Alarm(
                self,
                "ReceiverLatencyP99",
                alarm_description="Receiver p99 latency above 500 ms (S3 PUTs slow or tasks saturated)",
                metric=targets.metrics.target_response_time(statistic="p99", period=Duration.minutes(1)),
                threshold=0.5,
                evaluation_periods=5,
                datapoints_to_alarm=3,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            ),
            cw.Alarm(
                self,
                "ReceiverHealthyHosts",
                alarm_description="Fewer than 2 healthy receiver tasks: one AZ or one more failure from an outage",
                metric=targets.metrics.healthy_host_count(statistic="Minimum", period=Duration.minutes(1)),
                threshold=2,
                evaluation_periods=3,
                comparison_operator=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
                treat_missing_data=cw.TreatMissingData.BREACHING,
            ),
        ]
        for alarm in alarms:
            alarm.add_alarm_action(cw_actions.SnsAction(topic))
            alarm.add_ok_action(cw_actions.SnsAction(topic))
        chatbot.SlackChannelConfiguration(
            self,
            "Slack",
            slack_channel_configuration_name="northstar-alarms",
            slack_workspace_id=self.settings.slack_workspace_id,
            slack_channel_id=self.settings.slack_channel_id,
            notification_topics=[topic],
            logging_level=chatbot.LoggingLevel.ERROR,
            # Without guardrails Chatbot applies AdministratorAccess to what the channel may do: read-only alarms.
            guardrail_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("CloudWatchReadOnlyAccess")],
        )
        return topic
