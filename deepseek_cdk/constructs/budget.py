"""DeploymentBudget: an AWS Budgets cost budget for everything tagged with the deployment."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_sns as sns
from constructs import Construct

from deepseek_cdk.constructs.naming import require
from deepseek_cdk.constructs.notifications import service_may_publish, service_may_use_key


class DeploymentBudget(Construct):
    """A monthly cost budget filtered by the `deployment` cost-allocation tag, notifying
    `topic` when actual cost passes 80% and when the forecast passes 100% of the limit.
    Adds to the topic's policy that AWS Budgets may publish for budgets of this account (a
    topic policy replaces SNS's default one, so without it no notification is delivered),
    and to its KMS key's policy that Budgets may use the key.

    The tag must be activated as a cost-allocation tag in the Billing console once; until
    then the budget sees no cost. The first two budgets of an account are free, then
    $0.02 a day each."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        deployment: str,
        limit_usd_per_month: float,
        topic: sns.ITopic,
        tag_key: str = "deployment",
    ) -> None:
        super().__init__(scope, construct_id)
        require(limit_usd_per_month > 0, "limit_usd_per_month", f"must be > 0 (got {limit_usd_per_month})")
        topic.add_to_resource_policy(
            service_may_publish(
                topic,
                sid="BudgetsPublish",
                service="budgets.amazonaws.com",
                source_arn=f"arn:{cdk.Aws.PARTITION}:budgets::{cdk.Aws.ACCOUNT_ID}:*",
            )
        )
        key = getattr(topic, "master_key", None)
        if key is not None:
            key.add_to_resource_policy(service_may_use_key("budgets.amazonaws.com"))
        subscriber = budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=topic.topic_arn)
        self.budget = budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=limit_usd_per_month, unit="USD"),
                cost_filters={"TagKeyValue": [f"user:{tag_key}${deployment}"]},
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=kind,
                        comparison_operator="GREATER_THAN",
                        threshold=percent,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=[subscriber],
                )
                for kind, percent in (("ACTUAL", 80), ("FORECASTED", 100))
            ],
        )
