"""`python -m deepseek_cdk.cli`: the same as the `deepseek-cdk` command."""

import sys

from deepseek_cdk.cli import command_line

sys.exit(command_line())
