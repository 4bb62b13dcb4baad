"""Backup settings, from the environment: where backups are kept (every command) and when they are made (the agent)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, PostgresDsn, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from propos4l.backup.crypto import parse_key
from propos4l.backup.retention import RetentionPolicy
from propos4l.shared.settings import (
    DatabaseSettings,
    DeliverySettings,
    ServiceSettings,
    StorageSettings,
    refuse_placeholder,
)

__all__ = ["BackupSettings", "CommandSettings", "StoreSettings"]

_HOUR = 3600.0


def _required_folder(value: object) -> object:
    """Refuse an empty folder name, which would silently mean the current folder."""
    if isinstance(value, str) and not value.strip():
        raise ValueError("must name a folder")
    return value


class StoreSettings(BaseSettings):
    """Where backups are kept and how: folder, encryption, off-site copy, retention, PostgreSQL client tools."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False, frozen=True)

    backup_dir: Path
    backup_encryption_key: SecretStr | None = Field(
        default=None, description="32 random bytes, base64 (openssl rand -base64 32); unset: backups are not encrypted"
    )
    backup_encryption_previous_keys: SecretStr | None = Field(
        default=None, description="earlier keys, comma-separated, still needed to read backups made with them"
    )
    backup_s3_bucket: str | None = Field(default=None, description="bucket of the off-site copy; unset: no copy")
    backup_s3_endpoint_url: str | None = Field(default=None, description="S3-compatible endpoint; unset: AWS")
    backup_s3_region: str = "us-east-1"
    backup_s3_prefix: str = "propos4l"
    backup_s3_access_key_id: SecretStr | None = None
    backup_s3_secret_access_key: SecretStr | None = None
    backup_keep_daily: Annotated[int, Field(ge=0, le=3650)] = 7
    backup_keep_weekly: Annotated[int, Field(ge=0, le=520)] = 4
    backup_keep_monthly: Annotated[int, Field(ge=0, le=1200)] = 6
    backup_keep_minimum: Annotated[int, Field(ge=1, le=1000)] = 3
    backup_pg_bindir: Path | None = Field(default=None, description="folder of pg_dump, pg_restore, psql to prefer")
    backup_command_timeout_seconds: Annotated[float, Field(gt=0)] = 6 * _HOUR
    backup_lock_timeout_seconds: Annotated[float, Field(gt=0)] = 6 * _HOUR

    @field_validator("backup_dir", mode="before")
    @classmethod
    def _folder_named(cls, value: object) -> object:
        return _required_folder(value)

    @field_validator("backup_encryption_key")
    @classmethod
    def _usable_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is None or not key.get_secret_value().strip():
            return None
        refuse_placeholder(key.get_secret_value(), "BACKUP_ENCRYPTION_KEY")
        parse_key(key.get_secret_value())
        return key

    @field_validator("backup_encryption_previous_keys")
    @classmethod
    def _usable_previous_keys(cls, keys: SecretStr | None) -> SecretStr | None:
        if keys is None or not keys.get_secret_value().strip():
            return None
        for key in keys.get_secret_value().split(","):
            parse_key(key)
        return keys

    @field_validator("backup_s3_bucket", "backup_s3_endpoint_url")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("backup_s3_prefix")
    @classmethod
    def _tidy_prefix(cls, prefix: str) -> str:
        return prefix.strip("/")

    @model_validator(mode="after")
    def _keys_come_in_pairs(self) -> StoreSettings:
        if (self.backup_s3_access_key_id is None) != (self.backup_s3_secret_access_key is None):
            raise ValueError("BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY must be set together")
        return self

    @property
    def encryption_key(self) -> bytes | None:
        """The encryption key as bytes, or None when backups are not encrypted."""
        key = self.backup_encryption_key
        return None if key is None else parse_key(key.get_secret_value())

    @property
    def previous_keys(self) -> tuple[bytes, ...]:
        """Keys of earlier backups, for reading only."""
        keys = self.backup_encryption_previous_keys
        if keys is None:
            return ()
        return tuple(parse_key(key) for key in keys.get_secret_value().split(",") if key.strip())

    @model_validator(mode="after")
    def _previous_keys_need_a_key(self) -> StoreSettings:
        if self.backup_encryption_previous_keys is not None and self.backup_encryption_key is None:
            raise ValueError("BACKUP_ENCRYPTION_PREVIOUS_KEYS needs BACKUP_ENCRYPTION_KEY (the current key)")
        return self

    @property
    def retention(self) -> RetentionPolicy:
        """The retention policy the keep-settings describe."""
        return RetentionPolicy(
            daily=self.backup_keep_daily,
            weekly=self.backup_keep_weekly,
            monthly=self.backup_keep_monthly,
            minimum=self.backup_keep_minimum,
        )


class BackupSettings(ServiceSettings, DatabaseSettings, DeliverySettings, StoreSettings, StorageSettings):
    """What the backup agent reads at start: what to back up, and the schedules."""

    pdf_storage_dir: Path
    templates_dir: Path
    backup_db_interval_seconds: Annotated[float, Field(gt=0)] = 6 * _HOUR
    backup_pdfs_interval_seconds: Annotated[float, Field(gt=0)] = 24 * _HOUR
    backup_templates_reconcile_seconds: Annotated[float, Field(gt=0)] = _HOUR
    library_dir: Path | None = Field(
        default=None, description="the library's uploaded documents (content-addressed); unset: not backed up"
    )
    backup_library_interval_seconds: Annotated[float, Field(gt=0)] = 24 * _HOUR
    backup_drill_interval_seconds: Annotated[float, Field(ge=0)] = Field(
        default=24 * _HOUR, description="restore drill of the newest database backup; 0 turns drills off"
    )
    backup_drill_database_url: PostgresDsn | None = Field(
        default=None, description="server where drills create their scratch database; unset: DATABASE_URL's server"
    )
    backup_retry_base_seconds: Annotated[float, Field(gt=0)] = 60.0
    backup_retry_max_seconds: Annotated[float, Field(gt=0)] = _HOUR

    @field_validator("pdf_storage_dir", "templates_dir", mode="before")
    @classmethod
    def _folders_named(cls, value: object) -> object:
        return _required_folder(value)


class CommandSettings(StoreSettings, StorageSettings):
    """What `propos4l backup` reads: the store, and the sources a command needs (checked by that command); with
    STORAGE_URL, PDFs, templates and library files come from the bucket, as the agent's do."""

    database_url: PostgresDsn | None = None
    pdf_storage_dir: Path | None = None
    templates_dir: Path | None = None
    library_dir: Path | None = None

    @field_validator("database_url", "pdf_storage_dir", "templates_dir", "library_dir", mode="before")
    @classmethod
    def _blank_source_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value
