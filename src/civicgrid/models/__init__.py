"""All ORM tables, one module per aggregate, one metadata for Alembic.

Importing this package imports every model module, so ``Base.metadata`` is complete.
"""

from civicgrid.models.auth import (
    ApiToken,
    AuthSession,
    LoginAttempt,
    PhoneCode,
    RoleAssignment,
    UnmaskLog,
    User,
)
from civicgrid.models.base import Base
from civicgrid.models.evaluation import EvaluationInput, EvaluationRun, EvaluationSystem
from civicgrid.models.ledger import LedgerEntry, LedgerEvent, LedgerHead, LedgerSth
from civicgrid.models.org import GridMember, OrgLevel, OrgNode
from civicgrid.models.registry import Entity, Household, ImportBatch, Person, Place
from civicgrid.models.workorder import (
    Attachment,
    Channel,
    MediationSession,
    ResponsibilityItem,
    ResponsibilityVersion,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderPart,
)

__all__ = [
    "ApiToken",
    "Attachment",
    "AuthSession",
    "Base",
    "Channel",
    "Entity",
    "EvaluationInput",
    "EvaluationRun",
    "EvaluationSystem",
    "GridMember",
    "Household",
    "ImportBatch",
    "LedgerEntry",
    "LedgerEvent",
    "LedgerHead",
    "LedgerSth",
    "LoginAttempt",
    "MediationSession",
    "OrgLevel",
    "OrgNode",
    "Person",
    "PhoneCode",
    "Place",
    "ResponsibilityItem",
    "ResponsibilityVersion",
    "RoleAssignment",
    "UnmaskLog",
    "User",
    "WorkOrder",
    "WorkOrderEvent",
    "WorkOrderPart",
]
