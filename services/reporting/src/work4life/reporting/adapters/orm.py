"""Reporting's read model: pseudonymous people, never personal data."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class Person(SQLModel, table=True):
    __tablename__ = "person"
    __table_args__ = (Index("ix_person_region_sex", "region", "sex"),)

    beneficiary_id: UUID = Field(primary_key=True)
    registered_on: date = Field(index=True)
    sex: str = Field(max_length=20)
    birth_year: int
    nationality: str = Field(max_length=3)
    legal_status: str = Field(max_length=30)
    disability: bool
    region: str = Field(max_length=50)
    partner_organisation: str = Field(max_length=50, index=True)
    as_of: datetime = Field(description="occurred_at of the event these attributes come from")
