"""Operator commands that call AWS with the operator's own credentials (boto3). Imported only
by the commands that need them: the construct library and `plan`, `cost` and `simulate`
never import boto3. Install with `pip install 'deepseek-cdk[ops]'`."""
