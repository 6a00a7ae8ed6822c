"""Start-up knobs sized from the model: storage volume and SageMaker's two start-up timeouts.

SageMaker accepts 60-3600 s for ModelDataDownloadTimeoutInSeconds and
ContainerStartupHealthCheckTimeoutInSeconds (CreateEndpointConfig API). The rates below are
calibrated on AWS's own samples: Distill-Llama-70B (141 GB) on p4d used 1600 s and TGI on g6
2400 s from the Hub; full R1 (685 GB) used 2800-3600 s.
"""

from __future__ import annotations

import math

from deepseek_cdk.catalog import InstanceSpec

TIMEOUT_MIN_S = 600  # below ten minutes even a small model fails on a cold image pull
TIMEOUT_MAX_S = 3600  # SageMaker's upper bound
DOWNLOAD_S_PER_GB = 5.0  # S3 to the instance, weights stored uncompressed
LOAD_S_PER_GB = 10.0  # disk to GPU, plus engine warm-up (CUDA graphs)
MAX_VOLUME_GB = 512  # SageMaker's VolumeSizeInGB upper bound
# Getting a GPU instance and pulling the serving image (over 10 GB for LMI) before either
# timeout starts; an estimate: AWS's samples report 8-15 minutes for a whole new endpoint.
PROVISIONING_S = 600


def _clamp(seconds: float) -> int:
    return int(min(TIMEOUT_MAX_S, max(TIMEOUT_MIN_S, math.ceil(seconds / 60) * 60)))


def model_download_timeout(weights_gb: float) -> int:
    """Seconds SageMaker may spend copying the S3 weights before the container starts."""
    return _clamp(300 + DOWNLOAD_S_PER_GB * weights_gb)


def startup_health_check_timeout(weights_gb: float, *, from_hub: bool) -> int:
    """Seconds the container may take to answer /ping; a Hub download happens inside it."""
    per_gb = LOAD_S_PER_GB + (DOWNLOAD_S_PER_GB if from_hub else 0.0)
    return _clamp(300 + per_gb * weights_gb)


def volume_size_gb(instance: InstanceSpec, weights_gb: float) -> int | None:
    """EBS volume for instances without local NVMe (weights + 20% + 20 GB); None with NVMe,
    where SageMaker uses the instance store and rejects a volume size."""
    if instance.local_nvme:
        return None
    return min(MAX_VOLUME_GB, math.ceil(weights_gb * 1.2 + 20))


def cold_start_allowance(*, download_timeout_s: int, startup_timeout_s: int, from_hub: bool) -> int:
    """Seconds from "an instance is needed" to the last moment SageMaker would still call its
    start normal: provisioning, then the S3 download (none for Hub weights, which download
    inside the container), then the container's start-up health check. Alarms that fire on
    "no capacity" wait this long, and scaling from zero adds no second instance meanwhile."""
    return PROVISIONING_S + (0 if from_hub else download_timeout_s) + startup_timeout_s


# A typical scale-out start-up, measured by AWS ("Introducing container caching in Amazon
# SageMaker AI", AWS Machine Learning Blog, 2026): Qwen3-8B (about 16.4 GB of bf16 weights) on
# ml.g6.2xlarge with the LMI image (17.7 GB) took 525 s from the scaling request to serving:
# 333 s pulling the image, 168 s downloading the weights from S3, and 24 s loading them. Its
# early-access customers' P50 was 346-381 s on g4dn and g5. Other model sizes are scaled by
# their weights (an estimate: AWS gives no other size), and never past the plan's worst-case
# allowance.
TYPICAL_IMAGE_PULL_S = 333
TYPICAL_WEIGHT_S_PER_GB = (168 + 24) / 16.4


def typical_startup(weights_gb: float, *, allowance_s: int) -> int:
    """Seconds from a scale-out request to a serving instance, typically (see above)."""
    return min(allowance_s, round(TYPICAL_IMAGE_PULL_S + TYPICAL_WEIGHT_S_PER_GB * weights_gb))
