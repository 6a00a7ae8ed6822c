"""Integration tests in an AWS account (`make integ`): integ_*.py are integ-runner apps."""
