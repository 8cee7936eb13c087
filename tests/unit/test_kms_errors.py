"""KMS states moto cannot emulate (disabled key, pending deletion, throttling), mapped at the boto3
client boundary with botocore's Stubber."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from finops.hooks.kms import (
    KmsAccessDenied,
    KmsHook,
    KmsKeyUnusable,
    KmsUnavailable,
    StoredKeyUnreadable,
    admin_key_context,
)


@pytest.fixture
def stubbed():
    client = boto3.client("kms", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    hook = KmsHook(aws_conn_id=None, key_id="alias/finops-admin-keys")
    hook.__dict__["conn"] = client  # the cached property AwsBaseHook exposes
    with Stubber(client) as stub:
        yield hook, stub


@pytest.mark.parametrize(
    ("code", "exc_type", "fragment", "retryable"),
    [
        ("DisabledException", KmsKeyUnusable, "disabled or pending deletion", False),
        ("KMSInvalidStateException", KmsKeyUnusable, "disabled or pending deletion", False),
        ("AccessDeniedException", KmsAccessDenied, "lacks kms:Decrypt", False),
        ("IncorrectKeyException", StoredKeyUnreadable, "team growth cannot be decrypted", False),
        ("ThrottlingException", KmsUnavailable, "retried", True),
        ("NotFoundException", KmsKeyUnusable, "does not exist", False),
    ],
)
def test_decrypt_errors_are_mapped(stubbed, code, exc_type, fragment, retryable):
    hook, stub = stubbed
    stub.add_client_error("decrypt", service_error_code=code, service_message="boom")
    with pytest.raises(exc_type, match=fragment) as excinfo:
        hook.decrypt(b"blob", admin_key_context("growth"))
    assert excinfo.value.retryable is retryable


def test_encrypt_access_denied_names_the_key(stubbed):
    hook, stub = stubbed
    stub.add_client_error("encrypt", service_error_code="AccessDeniedException")
    with pytest.raises(KmsAccessDenied, match="lacks kms:Encrypt on alias/finops-admin-keys"):
        hook.encrypt("sk-admin-" + "x" * 40, admin_key_context("growth"))


def test_decrypt_masks_the_plaintext(stubbed):
    from airflow.sdk._shared.secrets_masker import redact

    hook, stub = stubbed
    secret = "sk-admin-" + "q" * 40
    stub.add_response("decrypt", {"Plaintext": secret.encode(), "KeyId": "k"})
    assert hook.decrypt(b"blob", admin_key_context("growth")) == secret
    assert secret not in str(redact(f"the key is {secret}"))
