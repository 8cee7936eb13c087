"""Create the KMS key and alias the project encrypts with, on a local KMS (moto) for dev and demo."""

from __future__ import annotations


def ensure_key(endpoint_url: str, alias: str, region: str = "us-east-1") -> str:
    """The key id behind ``alias``, creating a symmetric key and the alias when missing."""
    import boto3

    kms = boto3.client(
        "kms", endpoint_url=endpoint_url, region_name=region,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    for page in kms.get_paginator("list_aliases").paginate():
        for entry in page["Aliases"]:
            if entry["AliasName"] == alias and entry.get("TargetKeyId"):
                return entry["TargetKeyId"]
    key_id = kms.create_key(Description="FinOps: encrypts teams' OpenAI Admin keys")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return key_id
