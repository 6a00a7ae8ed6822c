"""deepseek-cdk: DeepSeek-R1 on Amazon SageMaker as AWS CDK constructs.

Importing this package does not import aws_cdk; the CDK layer lives in
`deepseek_cdk.constructs` and `deepseek_cdk.stacks`.
"""

__version__ = "0.1.0"
