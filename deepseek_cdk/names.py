"""The names a deployment gives AWS resources, and the rules each service applies to them.

One table, each rule with its source. The planner checks every name it produces against it,
so that a spec the plan accepts never fails at deploy time on a name; the constructs check
the names they are given against the same rules. Resources the project leaves unnamed
(models, endpoint configs, roles, policies, alarms, topics, functions, log groups) get names
CloudFormation generates, which always fit. No AWS or CDK import here.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass

from deepseek_cdk.catalog.regions import DLC_REGIONS


@dataclass(frozen=True)
class NamingRule:
    """What a service allows in one kind of name: its pattern, its length, and where AWS says so."""

    what: str
    pattern: re.Pattern[str]  # the whole name must match
    max_length: int
    source: str
    reserved_prefixes: tuple[str, ...] = ()
    reserved_suffixes: tuple[str, ...] = ()
    no_ip_address: bool = False

    def fits(self, name: str) -> bool:
        return not self.problems(name)

    def problems(self, name: str) -> list[str]:
        """What is wrong with `name` under this rule, one phrase each; empty when it fits."""
        out = []
        if len(name) > self.max_length:
            out.append(f"longer than {self.max_length} characters")
        if not self.pattern.fullmatch(name):
            out.append(f"not of the form {self.pattern.pattern}")
        out += [f"starts with the reserved {p!r}" for p in self.reserved_prefixes if name.startswith(p)]
        out += [f"ends with the reserved {s!r}" for s in self.reserved_suffixes if name.endswith(s)]
        if self.no_ip_address and _is_ip_address(name):
            out.append("formatted as an IP address")
        return out


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


SAGEMAKER = NamingRule(
    "SageMaker name",  # endpoints, model package groups, inference components, variants
    re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", re.ASCII),
    63,
    "SageMaker API Reference: CreateEndpoint EndpointName, CreateModelPackageGroup "
    "ModelPackageGroupName, CreateInferenceComponent InferenceComponentName, ProductionVariant "
    "VariantName (pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})",
)
S3_BUCKET = NamingRule(
    "S3 bucket name",
    # Lowercase letters, digits, '.' and '-'; a letter or digit at both ends; no '..', and no
    # '.' beside a '-' (the virtual-hosted name would have an empty or hyphen-led label).
    re.compile(r"(?!.*\.\.)(?!.*\.-)(?!.*-\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", re.ASCII),
    63,
    "Amazon S3 User Guide, General purpose bucket naming rules (read 2026-11-30)",
    reserved_prefixes=("xn--", "sthree-", "amzn-s3-demo-"),
    reserved_suffixes=("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"),
    no_ip_address=True,
)
STACK = NamingRule(
    "CloudFormation stack name",
    re.compile(r"[a-zA-Z][-a-zA-Z0-9]*", re.ASCII),
    128,
    "AWS CloudFormation API Reference: CreateStack StackName",
)

RULES = (SAGEMAKER, S3_BUCKET, STACK)

# The longest account and region a bucket name can hold, for a spec that names neither.
LONGEST_ACCOUNT = "123456789012"
LONGEST_REGION = max(sorted(DLC_REGIONS), key=len)


def artifacts_bucket_name(deployment: str, account: str, region: str) -> str:
    """`<deployment>-artifacts-<account>-<region>`: unique, and known to every stack of the
    deployment without a cross-stack reference (account and region may be CDK tokens)."""
    return f"{deployment}-artifacts-{account}-{region}"


# The inference stack's output holding the router API's base URL (`deepseek-cdk invoke`).
ROUTER_URL_OUTPUT = "RouterUrl"


def stack_names(deployment: str) -> tuple[str, str]:
    """The deployment's two stacks: the stateful one (bucket, key, registry) and inference."""
    return f"{deployment}-stateful", f"{deployment}-inference"


def component_name(endpoint_name: str, component: str) -> str:
    """`<endpoint>-<component>`, kept within SageMaker's 63 characters by shortening the
    endpoint part and adding a hash of it, so names stay unique when the endpoint is renamed."""
    name = f"{endpoint_name}-{component}"
    if len(name) <= SAGEMAKER.max_length:
        return name
    digest = hashlib.sha256(endpoint_name.encode()).hexdigest()[:8]
    keep = SAGEMAKER.max_length - len(component) - len(digest) - 2
    return f"{endpoint_name[:keep]}-{digest}-{component}"


_S3_PREFIX_URI = re.compile(r"s3://([^/]*)/(.*)", re.DOTALL)


def s3_prefix_problem(uri: str) -> str | None:
    """Why `uri` is not `s3://bucket/prefix/` with a bucket S3 allows and a printable prefix
    ending in '/', or None."""
    match = _S3_PREFIX_URI.fullmatch(uri)
    if match is None or not match.group(2).endswith("/"):
        return "must be an S3 prefix like s3://bucket/prefix/ (ending in '/')"
    bucket, prefix = match.groups()
    if problems := S3_BUCKET.problems(bucket):
        return f"bucket {bucket[:63]!r}: {'; '.join(problems)}"
    if prefix.startswith("/") or "//" in prefix or not prefix.isprintable() or len(prefix.encode()) > 1024:
        return "the prefix after the bucket must be printable, at most 1,024 bytes, with no empty part ('//')"
    return None


def split_s3_prefix(uri: str) -> tuple[str, str]:
    """`s3://bucket/prefix/` -> (bucket, prefix/); ValueError says why not."""
    if (problem := s3_prefix_problem(uri)) is not None:
        raise ValueError(problem)
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix


def endpoint_name(
    deployment: str, tier: str, instance_type: str, *, variants: int | None = 1, shadow: bool = False
) -> str:
    """`<deployment>-<tier>-<instance family and size>-<variants>`, e.g.
    deepseek-chat-g6e-xlarge-1: the number of production variants, then `s` when one more is a
    shadow (deepseek-chat-g6e-xlarge-1s); `variants=None` (inference components, whose one
    variant never changes) leaves the count out.

    SageMaker refuses to update an endpoint when the update changes the instance type of a
    variant with a registered scalable target, or removes such a variant (the target must
    be deregistered first), and CloudFormation has no way to deregister the target before
    the update: it deletes old resources only afterwards. A new name makes CloudFormation
    replace the endpoint instead: it creates the new endpoint (and new scalable targets for
    it), switches every reference over, and only then deletes the old targets and the old
    endpoint. Replacing a version's model in its variant keeps the name: that update is in
    place, and blue/green under a rollout. At most 20 + 20 + 13 + 2 + 4 = 59 characters
    (limit 63).
    """
    name = f"{deployment}-{tier}-{instance_type.removeprefix('ml.').replace('.', '-')}"
    if variants is not None:
        name += f"-{variants}{'s' if shadow else ''}"
    return name
