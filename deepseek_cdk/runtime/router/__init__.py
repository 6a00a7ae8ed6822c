"""Lambda code of the request router (packaged as an asset; stdlib and boto3 only)."""
