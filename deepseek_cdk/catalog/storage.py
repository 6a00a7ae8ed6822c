"""S3 storage prices for what versioning keeps: model weights and captured data.

Source: Amazon S3 pricing, https://aws.amazon.com/s3/pricing/ , US East (N. Virginia), the
first 50 TB a month, USD per GB-month: S3 Standard 0.023, S3 Glacier Instant Retrieval 0.004
(the AWS Price List S3 offer published 2026-09-28, as quoted in public cost notes read on
2026-11-30). Glacier Instant Retrieval bills at least 90 days per object and $0.03 per GB
read back; requests and lifecycle transitions are extra and small beside these.
"""

from __future__ import annotations

STORAGE_PRICE_DATE = "2026-09-28"
STORAGE_PRICE_REGION = "us-east-1"
STORAGE_PRICE_SOURCE = "https://aws.amazon.com/s3/pricing/"
STANDARD_PER_GB_MONTH = 0.023
GLACIER_IR_PER_GB_MONTH = 0.004
