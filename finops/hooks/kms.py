"""KMS hook: encrypt and decrypt teams' Admin keys with an encryption context bound to the team and provider."""

from __future__ import annotations

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

from finops.defaults import DEFAULT_KMS_KEY_ID, KMS_KEY_VARIABLE
from finops.errors import FinopsError

__all__ = ["DEFAULT_KMS_KEY_ID", "KMS_KEY_VARIABLE", "KmsHook", "admin_key_context"]

#: The context's ``purpose`` of an OpenAI Admin key, as keys were encrypted before there were providers.
PURPOSE = "openai-admin-key"


def admin_key_context(team_id: str, provider: str = "openai") -> dict[str, str]:
    """The encryption context of a team's Admin key for one provider: it decrypts for that team and provider only.

    The provider is named in ``purpose`` (``openai-admin-key``, ``anthropic-admin-key``): OpenAI's context
    is exactly the one used before providers existed, so every key registered earlier still decrypts.
    """
    return {"team_id": team_id, "purpose": f"{provider}-admin-key"}


class KmsError(FinopsError):
    """KMS refused or failed an operation."""


class KmsAccessDenied(KmsError):
    """The AWS identity lacks a KMS permission on the key."""


class StoredKeyUnreadable(KmsError):
    """The ciphertext does not decrypt under its team's context: moved between teams or altered."""


class KmsKeyUnusable(KmsError):
    """The KMS key is disabled, pending deletion or missing."""


class KmsUnavailable(KmsError):
    """KMS throttled the request or could not be reached; retrying later can succeed."""

    retryable = True


class KmsHook(AwsBaseHook):
    """Encrypt and decrypt with AWS KMS through the ``aws_kms`` connection.

    The key comes from the ``finops_kms_key_id`` variable (key id, ARN or alias). Every decrypted
    value is registered with Airflow's secrets masker before it is returned.
    """

    conn_name_attr = "aws_conn_id"
    default_conn_name = "aws_kms"
    conn_type = "aws"
    hook_name = "FinOps KMS"

    def __init__(self, aws_conn_id: str | None = default_conn_name, key_id: str | None = None, **kwargs) -> None:
        super().__init__(aws_conn_id=aws_conn_id, client_type="kms", **kwargs)
        self._key_id = key_id

    @classmethod
    def get_connection(cls, conn_id: str):
        """Resolve through the project's lookup, so the CLI also sees connections in the metastore."""
        from airflow.exceptions import AirflowNotFoundException

        from finops.errors import ConfigurationError
        from finops.lookup import get_connection

        try:
            return get_connection(conn_id)
        except ConfigurationError:
            # As AwsBaseHook does: no connection means the default credential chain (an IAM role).
            raise AirflowNotFoundException(conn_id) from None

    @property
    def key_id(self) -> str:
        if self._key_id is None:
            from finops.lookup import get_variable

            self._key_id = str(get_variable(KMS_KEY_VARIABLE, DEFAULT_KMS_KEY_ID))
        return self._key_id

    def encrypt(self, plaintext: str, context: dict[str, str]) -> bytes:
        """Encrypt ``plaintext`` under the configured key; returns the ciphertext blob."""
        try:
            response = self.conn.encrypt(
                KeyId=self.key_id, Plaintext=plaintext.encode(), EncryptionContext=context
            )
        except Exception as exc:
            raise self._translate(exc, "Encrypt", context) from None
        return response["CiphertextBlob"]

    def decrypt(self, ciphertext: bytes, context: dict[str, str]) -> str:
        """Decrypt a blob made by :meth:`encrypt` with the same context; the result is masked in logs."""
        from airflow.sdk.log import mask_secret

        try:
            response = self.conn.decrypt(CiphertextBlob=bytes(ciphertext), EncryptionContext=context)
        except Exception as exc:
            raise self._translate(exc, "Decrypt", context) from None
        plaintext = response["Plaintext"].decode()
        mask_secret(plaintext)
        return plaintext

    def _translate(self, exc: Exception, operation: str, context: dict[str, str]) -> Exception:
        """Map boto errors to the project's exceptions with a message saying what to do."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
            NoCredentialsError,
            ReadTimeoutError,
        )

        team = context.get("team_id", "?")
        key = self.key_id if operation != "Decrypt" else "the key that encrypted it"
        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("AccessDeniedException", "UnauthorizedOperation", "AccessDenied"):
                return KmsAccessDenied(
                    f"The AWS role lacks kms:{operation} on {key}; grant it in the key policy or the role's "
                    "IAM policy (see docs/operations/setup.md)."
                )
            if code in ("InvalidCiphertextException", "IncorrectKeyException"):
                from finops.providers import PROVIDERS

                provider = context.get("purpose", PURPOSE).removesuffix("-admin-key")
                option = "" if provider == "openai" else f" --provider {provider}"
                label = PROVIDERS[provider].label if provider in PROVIDERS else provider
                return StoredKeyUnreadable(
                    f"The stored {label} key for team {team} cannot be decrypted: it was encrypted for another "
                    f"team or provider, or altered; register it again with `finops keys register {team}{option}`."
                )
            if code in ("DisabledException", "KMSInvalidStateException"):
                return KmsKeyUnusable(
                    f"The KMS key {key} is disabled or pending deletion; re-enable it (or cancel the deletion) "
                    "in AWS KMS, or register the team's key again under an enabled key."
                )
            if code == "NotFoundException":
                return KmsKeyUnusable(
                    f"The KMS key {key} does not exist in this account and region; create it or set the "
                    f"`{KMS_KEY_VARIABLE}` variable to an existing key id, ARN or alias."
                )
            if code in ("ThrottlingException", "LimitExceededException", "KMSInternalException",
                        "DependencyTimeoutException"):
                return KmsUnavailable(f"KMS throttled or failed the {operation} request ({code}); it will be retried later.")
            return KmsError(f"KMS refused {operation} with {code}; check the key and the `aws_kms` connection.")
        if isinstance(exc, NoCredentialsError):
            return KmsAccessDenied(
                "No AWS credentials were found for KMS; set them in the `aws_kms` connection or give the "
                "worker an IAM role."
            )
        if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)):
            return KmsUnavailable(
                "KMS could not be reached; check the network and the `aws_kms` connection's endpoint_url "
                "and region_name (it will be retried)."
            )
        if isinstance(exc, BotoCoreError):
            return KmsUnavailable(f"KMS call {operation} failed ({type(exc).__name__}); it will be retried.")
        return exc

