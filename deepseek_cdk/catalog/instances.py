"""SageMaker GPU instance types that can host DeepSeek-R1 and its distills.

Sources:
- GPU count, vCPUs, host memory: meta-pytorch/torchx torchx/specs/named_resources_aws.py,
  cross-checked with a third-party us-east-1 price table "read on 2026-09-27" (PRICE-A).
- GPU memory: NVIDIA data sheets (A10G 24 GB, L4 24 GB, L40S 48 GB, A100 40/80 GB, H100 80 GB,
  H200 141 GB) for the name; for the fit, the memory the driver reports (`nvidia-smi`
  memory.total, in MiB), which is what vLLM's gpu_memory_utilization is a fraction of:
  H100 SXM 81,559 MiB (github.com/sgl-project/sglang/issues/5429, an 8 x H100 node, comment of
  2025-06-04); H200 143,771 MiB, A10G 23,028 MiB, L4 23,034 MiB, L40S 46,068 MiB (350 W boards):
  nvidia-smi tables in many public repositories, found 2026-12 by exact search of the stored
  GitHub corpus, each value repeated in ten or more files, no single repository cited:
  UNVERIFIED against an AWS instance; A100 40 GB 40,960 MiB and 80 GB 81,920 MiB: the data
  sheets' 40 and 80 GiB, UNVERIFIED. Where no reading exists (B200, RTX PRO 6000) the marketed
  size in decimal GB stands in, which is below the real capacity.
- GPU memory bandwidth: NVIDIA data sheets (A10G 600, L4 300, L40S 864, A100 40 GB 1555,
  A100 80 GB 2039, H100 SXM 3350, H200 4800 GB/s).
- Dense tensor TFLOPS (the data sheets' figures without sparsity), bf16 / fp8: L4 121 / 242,
  L40S 362 / 733, A100 312 / none (no FP8 units), H100 and H200 SXM 989 / 1979. A10G: NVIDIA
  publishes only the A10's 125 (bf16); the A10G runs lower clocks and is taken at 70, an
  UNVERIFIED, conservative figure. They matter only where decoding is compute-bound.
- Interconnect (planning.throughput prices the all-reduces of tensor parallelism with it):
  NVLink per GPU, per direction, half the data sheets' bidirectional totals: A100 SXM 600 GB/s
  -> 300, H100 and H200 SXM 900 -> 450, B200 1.8 TB/s -> 900 (NVIDIA data sheets). The g5, g6
  and g6e GPUs have no NVLink and talk over PCIe Gen4 x16, 32 GB/s a direction (Amazon EC2
  G5/G6/G6e pages: PCIe-attached GPUs; PCIe Gen4 x16 = 64 GB/s both ways); g7e PCIe Gen5, 64
  (UNVERIFIED). The time of one small all-reduce is fitted to the multi-GPU calibration points
  (catalog.calibration, vLLM 0.6 on 2-8 x A100/H100 SXM): 45 us on NVLink 3, 25 us on NVLink 4
  (B200 takes NVLink 4's, UNVERIFIED). No multi-GPU PCIe measurement was found: PCIe takes
  60 us, an estimate above NVLink 3's (UNVERIFIED); every tier whose GPUs talk over PCIe is
  priced on it, and the plan's range says so.
- Local NVMe: every g5, g6, g6e, p4d, p4de, p5, p5e and p5en size has instance-store NVMe
  (Amazon EC2 instance type pages); SageMaker then uses it instead of an EBS volume. g7e,
  p5.4xlarge and p6-b200 are listed with instance storage too (UNVERIFIED here).
- Prices, and which regions offer each type: catalog/prices.py.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 2**20


@dataclass(frozen=True)
class Interconnect:
    """How a board's GPUs reach each other in every SageMaker instance that carries it."""

    name: str
    bandwidth_gb_s: float  # per GPU, one direction
    all_reduce_latency_s: float  # one small all-reduce across the instance's GPUs

    def all_reduce_s(self, gpus: int, payload_bytes: float) -> float:
        """A ring all-reduce: its latency, and 2 (n - 1) / n of the payload over each link."""
        if gpus < 2:
            return 0.0
        return self.all_reduce_latency_s + 2 * (gpus - 1) / gpus * payload_bytes / (self.bandwidth_gb_s * 1e9)


NVLINK3 = Interconnect("NVLink 3", 300, 45e-6)
NVLINK4 = Interconnect("NVLink 4", 450, 25e-6)
NVLINK5 = Interconnect("NVLink 5", 900, 25e-6)
PCIE4 = Interconnect("PCIe Gen4 x16", 32, 60e-6)
PCIE5 = Interconnect("PCIe Gen5 x16", 64, 60e-6)


@dataclass(frozen=True)
class GpuModel:
    """A GPU model: its memory, bandwidth and tensor throughput, as its maker publishes them."""

    name: str
    memory_gb: float  # the marketed size (its name)
    bandwidth_gb_s: float
    tflops_bf16: float  # dense tensor throughput
    tflops_fp8: float | None  # None: no FP8 tensor cores (FP8 weights run at bf16 speed)
    driver_mib: int | None = None  # memory.total as nvidia-smi reports it; None: not read
    interconnect: Interconnect = PCIE4  # between the GPUs of one instance

    def tflops(self, dtype: str) -> float:
        return self.tflops_fp8 if dtype == "fp8" and self.tflops_fp8 else self.tflops_bf16

    @property
    def driver_gb(self) -> float:
        """The memory the engine takes its share of, decimal GB: the driver's total where it
        was read, else the marketed size."""
        return self.driver_mib * MIB / 1e9 if self.driver_mib else self.memory_gb


A10G = GpuModel("NVIDIA A10G", 24, 600, 70, None, 23_028, PCIE4)
L4 = GpuModel("NVIDIA L4", 24, 300, 121, 242, 23_034, PCIE4)
L40S = GpuModel("NVIDIA L40S", 48, 864, 362, 733, 46_068, PCIE4)
A100_40 = GpuModel("NVIDIA A100 40GB", 40, 1555, 312, None, 40_960, NVLINK3)
A100_80 = GpuModel("NVIDIA A100 80GB", 80, 2039, 312, None, 81_920, NVLINK3)
H100 = GpuModel("NVIDIA H100", 80, 3350, 989, 1979, 81_559, NVLINK4)
H200 = GpuModel("NVIDIA H200", 141, 4800, 989, 1979, 143_771, NVLINK4)
# Blackwell, read 2026-11-30. Memory: the largest MIG profile AWS lists for each (7g.180gb on
# p6-b200, 4g.96gb on g7e: aws/sagemaker-hyperpod-cli, training/constants.py at 2d082e97).
# Bandwidth and TFLOPS: NVIDIA's HGX B200 figures (7.7 TB/s, 2.25 / 4.5 PFLOPS dense) and, for
# the RTX PRO 6000 Blackwell Server Edition, 1.6 TB/s and half of each step down from its
# 4 PFLOPS sparse FP4 peak (500 / 1000 dense): UNVERIFIED against a data sheet, used only
# where decoding is compute-bound.
B200 = GpuModel("NVIDIA B200", 180, 7700, 2250, 4500, interconnect=NVLINK5)
RTX_PRO_6000 = GpuModel("NVIDIA RTX PRO 6000 Blackwell", 96, 1600, 500, 1000, interconnect=PCIE5)
GPUS = {gpu.name: gpu for gpu in (A10G, L4, L40S, A100_40, A100_80, H100, H200, B200, RTX_PRO_6000)}


@dataclass(frozen=True)
class InstanceSpec:
    """One SageMaker instance type: GPUs, host and local storage (prices: catalog.prices)."""

    name: str
    gpu: GpuModel
    gpu_count: int
    vcpus: int
    host_memory_gib: int
    local_nvme: bool

    @property
    def gpu_memory_gb(self) -> float:
        """The marketed total (what the instance is sold as)."""
        return self.gpu.memory_gb * self.gpu_count

    @property
    def driver_memory_gb(self) -> float:
        """The total the driver reports, which the engine takes its share of."""
        return self.gpu.driver_gb * self.gpu_count

    @property
    def family(self) -> str:
        return self.name.split(".")[1]


def _i(name: str, gpu: GpuModel, count: int, vcpus: int, mem: int) -> InstanceSpec:
    return InstanceSpec(name, gpu, count, vcpus, mem, local_nvme=True)


INSTANCES: dict[str, InstanceSpec] = {
    i.name: i
    for i in (
        _i("ml.g5.xlarge", A10G, 1, 4, 16),
        _i("ml.g5.2xlarge", A10G, 1, 8, 32),
        _i("ml.g5.4xlarge", A10G, 1, 16, 64),
        _i("ml.g5.8xlarge", A10G, 1, 32, 128),
        _i("ml.g5.12xlarge", A10G, 4, 48, 192),
        _i("ml.g5.16xlarge", A10G, 1, 64, 256),
        _i("ml.g5.24xlarge", A10G, 4, 96, 384),
        _i("ml.g5.48xlarge", A10G, 8, 192, 768),
        _i("ml.g6.xlarge", L4, 1, 4, 16),
        _i("ml.g6.2xlarge", L4, 1, 8, 32),
        _i("ml.g6.4xlarge", L4, 1, 16, 64),
        _i("ml.g6.8xlarge", L4, 1, 32, 128),
        _i("ml.g6.12xlarge", L4, 4, 48, 192),
        _i("ml.g6.16xlarge", L4, 1, 64, 256),
        _i("ml.g6.24xlarge", L4, 4, 96, 384),
        _i("ml.g6.48xlarge", L4, 8, 192, 768),
        _i("ml.g6e.xlarge", L40S, 1, 4, 32),
        _i("ml.g6e.2xlarge", L40S, 1, 8, 64),
        _i("ml.g6e.4xlarge", L40S, 1, 16, 128),
        _i("ml.g6e.8xlarge", L40S, 1, 32, 256),
        _i("ml.g6e.12xlarge", L40S, 4, 48, 384),
        _i("ml.g6e.16xlarge", L40S, 1, 64, 512),
        _i("ml.g6e.24xlarge", L40S, 4, 96, 768),
        _i("ml.g6e.48xlarge", L40S, 8, 192, 1536),
        _i("ml.p4d.24xlarge", A100_40, 8, 96, 1152),
        _i("ml.p4de.24xlarge", A100_80, 8, 96, 1152),
        _i("ml.p5.48xlarge", H100, 8, 192, 2048),
        _i("ml.p5e.48xlarge", H200, 8, 192, 2048),
        _i("ml.p5en.48xlarge", H200, 8, 192, 2048),
        # Added 2026-11-30: vCPUs and host memory from aws/sagemaker-hyperpod-cli
        # (training/constants.py at 2d082e97); no hosting price in any source yet (None).
        _i("ml.p5.4xlarge", H100, 1, 16, 256),
        _i("ml.g7e.2xlarge", RTX_PRO_6000, 1, 8, 64),
        _i("ml.g7e.4xlarge", RTX_PRO_6000, 1, 16, 128),
        _i("ml.g7e.8xlarge", RTX_PRO_6000, 1, 32, 256),
        _i("ml.g7e.12xlarge", RTX_PRO_6000, 2, 48, 512),
        _i("ml.g7e.24xlarge", RTX_PRO_6000, 4, 96, 1024),
        _i("ml.g7e.48xlarge", RTX_PRO_6000, 8, 192, 2048),
        _i("ml.p6-b200.48xlarge", B200, 8, 192, 2048),
    )
}
