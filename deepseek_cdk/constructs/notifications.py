"""Notifications: the SNS topics every alarm of a deployment notifies."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from deepseek_cdk.constructs.naming import require


class Notifications(Construct):
    """Two SNS topics, KMS-encrypted and TLS-only: `alerts` receives every alarm (and an
    optional e-mail subscription, kept as `email` for other topics of the deployment that
    people read, such as an async tier's failures), `paging` only each tier's composite alarm.

    A topic policy replaces SNS's default policy, so each topic allows exactly the services
    that publish to it: CloudWatch, for alarms of this account and region, on both topics
    (a DeploymentBudget adds AWS Budgets to the topic it notifies). CloudWatch is also let
    use `kms_key` to publish to the encrypted topics; an imported key's policy cannot be
    changed from here, so it must allow that itself (see `service_may_use_key`).
    Costs: SNS requests and deliveries; nothing while quiet."""

    def __init__(
        self, scope: Construct, construct_id: str, *, kms_key: kms.IKey, email: str | None = None
    ) -> None:
        super().__init__(scope, construct_id)
        require(email is None or "@" in email, "email", f"must be an e-mail address (got {email!r})")
        self.email = email
        self.alerts = sns.Topic(
            self, "Alerts", master_key=kms_key, enforce_ssl=True, display_name="deepseek-cdk alerts"
        )
        self.paging = sns.Topic(
            self, "Paging", master_key=kms_key, enforce_ssl=True, display_name="deepseek-cdk paging"
        )
        kms_key.add_to_resource_policy(service_may_use_key("cloudwatch.amazonaws.com"))
        for topic in (self.alerts, self.paging):
            topic.add_to_resource_policy(alarms_may_publish(topic))
            if email:
                topic.add_subscription(subscriptions.EmailSubscription(email))


def service_may_publish(topic: sns.ITopic, *, sid: str, service: str, source_arn: str) -> iam.PolicyStatement:
    """A topic-policy statement: `service` may publish to `topic`, only for this account and
    for sources matching `source_arn`. A topic with its own policy refuses every service it
    does not name ("not authorized to perform: SNS:Publish")."""
    return iam.PolicyStatement(
        sid=sid,
        principals=[iam.ServicePrincipal(service)],
        actions=["sns:Publish"],
        resources=[topic.topic_arn],
        conditions={
            "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
            "ArnLike": {"aws:SourceArn": source_arn},
        },
    )


def alarms_may_publish(topic: sns.ITopic) -> iam.PolicyStatement:
    """CloudWatch may publish to `topic` for alarms of this account and region only."""
    return service_may_publish(
        topic,
        sid="CloudWatchAlarmsPublish",
        service="cloudwatch.amazonaws.com",
        source_arn=f"arn:{cdk.Aws.PARTITION}:cloudwatch:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:alarm:*",
    )


def service_may_use_key(service: str) -> iam.PolicyStatement:
    """A key-policy statement: `service` (e.g. cloudwatch.amazonaws.com) may use the key to
    publish to topics it encrypts, for this account only."""
    return iam.PolicyStatement(
        sid=f"{service.split('.')[0].capitalize()}PublishesToEncryptedTopics",
        principals=[iam.ServicePrincipal(service)],
        actions=["kms:Decrypt", "kms:GenerateDataKey"],
        resources=["*"],  # in a key policy, "*" is this key
        conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
    )
