"""SQLAlchemy 2 tables, one module per area; importing this package registers them all."""

from crm.orm.base import Base
from crm.orm.users import AuthToken, LoginAttempt, ProviderSecret, RefreshToken, User, UserSession
from crm.orm.teams import Team, TeamInvitation, TeamMember
from crm.orm.leads import CustomFieldDefinition, Lead, Note, SavedView, Tag, lead_tags
from crm.orm.properties import BuyerRequirement, LeadPropertyInterest, Property
from crm.orm.campaigns import Campaign, campaign_tags
from crm.orm.activities import Activity
from crm.orm.tasks import Task
from crm.orm.messaging import EmailTemplate, Message, OutboxDelivery, SmsTemplate
from crm.orm.automation import Workflow, WorkflowExecution
from crm.orm.calendar import Appointment
from crm.orm.intelligence import AIInsight, ChatConversation, ChatMessage, LeadScore
from crm.orm.analytics import AnalyticsSnapshot, Report
from crm.orm.integrations import Integration, IntegrationSyncLog
from crm.orm.notifications import Notification
from crm.orm.billing import Invoice, PaymentMethod, Subscription, UsageRecord
from crm.orm.admin import AuditLog, DomainEvent, FeatureFlag, SystemSetting
from crm.orm.lead_imports import LeadImport, LeadImportRow, LeadMerge
from crm.orm.duplicates import DuplicateDismissal

__all__ = [
    "AIInsight", "Activity", "AuthToken", "LoginAttempt", "UserSession", "AnalyticsSnapshot", "Appointment", "AuditLog", "Base",
    "BuyerRequirement", "Campaign", "ChatConversation", "ChatMessage", "CustomFieldDefinition",
    "DomainEvent", "DuplicateDismissal", "EmailTemplate", "FeatureFlag", "Integration", "IntegrationSyncLog", "Invoice",
    "Lead", "LeadImport", "LeadImportRow", "LeadMerge", "LeadPropertyInterest", "LeadScore", "Message", "Note", "Notification",
    "OutboxDelivery", "PaymentMethod", "Property", "ProviderSecret", "RefreshToken", "Report",
    "SavedView", "SmsTemplate", "Subscription", "SystemSetting", "Tag", "Task", "Team",
    "TeamInvitation", "TeamMember", "UsageRecord", "User", "Workflow", "WorkflowExecution",
    "campaign_tags", "lead_tags",
]
