"""StrEnums shared by the ORM, the schemas, the services and every entry point."""

from __future__ import annotations

from enum import StrEnum


class SystemRole(StrEnum):
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"
    USER = "USER"


class SubscriptionTier(StrEnum):
    FREE = "FREE"
    STARTER = "STARTER"
    PROFESSIONAL = "PROFESSIONAL"
    ENTERPRISE = "ENTERPRISE"


class TeamRole(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"
    MEMBER = "MEMBER"


class LeadStatus(StrEnum):
    NEW = "NEW"
    CONTACTED = "CONTACTED"
    QUALIFIED = "QUALIFIED"
    PROPOSAL = "PROPOSAL"
    NEGOTIATION = "NEGOTIATION"
    WON = "WON"
    LOST = "LOST"

    @property
    def is_open(self) -> bool:
        return self not in (LeadStatus.WON, LeadStatus.LOST)


class LeadSource(StrEnum):
    WEBSITE = "WEBSITE"
    ZILLOW = "ZILLOW"
    REALTOR_COM = "REALTOR_COM"
    REFERRAL = "REFERRAL"
    OPEN_HOUSE = "OPEN_HOUSE"
    SOCIAL = "SOCIAL"
    SIGN_CALL = "SIGN_CALL"
    PAST_CLIENT = "PAST_CLIENT"
    COLD_OUTREACH = "COLD_OUTREACH"
    OTHER = "OTHER"


class LeadType(StrEnum):
    BUYER = "BUYER"
    SELLER = "SELLER"
    BUYER_SELLER = "BUYER_SELLER"
    RENTER = "RENTER"
    INVESTOR = "INVESTOR"


class CampaignType(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    PHONE = "PHONE"
    SOCIAL = "SOCIAL"


class CampaignStatus(StrEnum):
    DRAFT = "DRAFT"
    SCHEDULED = "SCHEDULED"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class ActivityType(StrEnum):
    EMAIL_SENT = "EMAIL_SENT"
    EMAIL_OPENED = "EMAIL_OPENED"
    EMAIL_CLICKED = "EMAIL_CLICKED"
    SMS_SENT = "SMS_SENT"
    SMS_DELIVERED = "SMS_DELIVERED"
    CALL_MADE = "CALL_MADE"
    CALL_RECEIVED = "CALL_RECEIVED"
    MEETING_SCHEDULED = "MEETING_SCHEDULED"
    MEETING_COMPLETED = "MEETING_COMPLETED"
    NOTE_ADDED = "NOTE_ADDED"
    STATUS_CHANGED = "STATUS_CHANGED"
    STAGE_CHANGED = "STAGE_CHANGED"
    LEAD_CREATED = "LEAD_CREATED"
    LEAD_ASSIGNED = "LEAD_ASSIGNED"
    CAMPAIGN_LAUNCHED = "CAMPAIGN_LAUNCHED"
    CAMPAIGN_COMPLETED = "CAMPAIGN_COMPLETED"
    PROPERTY_VIEWED = "PROPERTY_VIEWED"
    SHOWING_COMPLETED = "SHOWING_COMPLETED"
    LEAD_MERGED = "LEAD_MERGED"
    LEAD_IMPORTED = "LEAD_IMPORTED"


class TaskPriority(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    URGENT = "URGENT"


class TaskStatus(StrEnum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class MessageType(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    CALL = "CALL"
    SOCIAL = "SOCIAL"


class MessageDirection(StrEnum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"


class MessageStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    BOUNCED = "BOUNCED"
    OPENED = "OPENED"
    CLICKED = "CLICKED"
    RECEIVED = "RECEIVED"


class WorkflowTrigger(StrEnum):
    LEAD_CREATED = "LEAD_CREATED"
    LEAD_STATUS_CHANGED = "LEAD_STATUS_CHANGED"
    LEAD_ASSIGNED = "LEAD_ASSIGNED"
    CAMPAIGN_COMPLETED = "CAMPAIGN_COMPLETED"
    EMAIL_OPENED = "EMAIL_OPENED"
    TIME_BASED = "TIME_BASED"
    SCORE_THRESHOLD = "SCORE_THRESHOLD"
    TAG_ADDED = "TAG_ADDED"


class ExecutionStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


class AppointmentType(StrEnum):
    CALL = "CALL"
    MEETING = "MEETING"
    SHOWING = "SHOWING"
    LISTING_PRESENTATION = "LISTING_PRESENTATION"
    OPEN_HOUSE = "OPEN_HOUSE"
    CONSULTATION = "CONSULTATION"
    FOLLOW_UP = "FOLLOW_UP"


class AppointmentStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    CONFIRMED = "CONFIRMED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"


class ChatRole(StrEnum):
    USER = "USER"
    ASSISTANT = "ASSISTANT"
    SYSTEM = "SYSTEM"
    FUNCTION = "FUNCTION"


class ReportType(StrEnum):
    LEAD_ANALYTICS = "LEAD_ANALYTICS"
    CAMPAIGN_PERFORMANCE = "CAMPAIGN_PERFORMANCE"
    CONVERSION_FUNNEL = "CONVERSION_FUNNEL"
    REVENUE_FORECAST = "REVENUE_FORECAST"
    CUSTOM = "CUSTOM"


class IntegrationProvider(StrEnum):
    GOOGLE_SHEETS = "GOOGLE_SHEETS"
    GOOGLE_CALENDAR = "GOOGLE_CALENDAR"
    GMAIL = "GMAIL"
    SALESFORCE = "SALESFORCE"
    HUBSPOT = "HUBSPOT"
    SLACK = "SLACK"
    TWILIO = "TWILIO"
    SENDGRID = "SENDGRID"
    STRIPE = "STRIPE"
    ZAPIER = "ZAPIER"
    FACEBOOK = "FACEBOOK"
    LINKEDIN = "LINKEDIN"
    TWITTER = "TWITTER"


class SyncStatus(StrEnum):
    IDLE = "IDLE"
    SYNCING = "SYNCING"
    SUCCESS = "SUCCESS"
    ERROR = "ERROR"


class NotificationType(StrEnum):
    LEAD_ASSIGNED = "LEAD_ASSIGNED"
    LEAD_STATUS_CHANGED = "LEAD_STATUS_CHANGED"
    TASK_DUE = "TASK_DUE"
    TASK_OVERDUE = "TASK_OVERDUE"
    CAMPAIGN_COMPLETED = "CAMPAIGN_COMPLETED"
    EMAIL_OPENED = "EMAIL_OPENED"
    MEETING_REMINDER = "MEETING_REMINDER"
    SYSTEM_ALERT = "SYSTEM_ALERT"
    TEAM_MENTION = "TEAM_MENTION"


class SubscriptionStatus(StrEnum):
    ACTIVE = "ACTIVE"
    TRIALING = "TRIALING"
    PAST_DUE = "PAST_DUE"
    CANCELLED = "CANCELLED"
    INCOMPLETE = "INCOMPLETE"


class InvoiceStatus(StrEnum):
    DRAFT = "DRAFT"
    OPEN = "OPEN"
    PAID = "PAID"
    VOID = "VOID"
    UNCOLLECTIBLE = "UNCOLLECTIBLE"


class UsageType(StrEnum):
    LEADS_CREATED = "LEADS_CREATED"
    EMAILS_SENT = "EMAILS_SENT"
    SMS_SENT = "SMS_SENT"
    CALLS_MADE = "CALLS_MADE"
    API_REQUESTS = "API_REQUESTS"
    STORAGE_GB = "STORAGE_GB"


class PropertyType(StrEnum):
    SINGLE_FAMILY = "SINGLE_FAMILY"
    CONDO = "CONDO"
    TOWNHOUSE = "TOWNHOUSE"
    MULTI_FAMILY = "MULTI_FAMILY"
    LAND = "LAND"
    COMMERCIAL = "COMMERCIAL"


class PropertyStatus(StrEnum):
    COMING_SOON = "COMING_SOON"
    ACTIVE = "ACTIVE"
    PENDING = "PENDING"
    SOLD = "SOLD"
    OFF_MARKET = "OFF_MARKET"


class InterestKind(StrEnum):
    VIEWED = "VIEWED"
    SAVED = "SAVED"
    INQUIRED = "INQUIRED"
    TOURED = "TOURED"


class SecretOwner(StrEnum):
    USER = "USER"
    TEAM = "TEAM"


class ProviderName(StrEnum):
    """Keys a user or team may bring (bring-your-own-key)."""

    ANTHROPIC = "ANTHROPIC"
    OPENAI = "OPENAI"
    SENDGRID = "SENDGRID"
    TWILIO = "TWILIO"
    STRIPE = "STRIPE"


class ImportStatus(StrEnum):
    """Life of a lead import job; RUNNING with an expired lease means the worker died."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class ImportOutcome(StrEnum):
    """What an import did with one row of the file."""

    CREATED = "CREATED"
    UPDATED = "UPDATED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


class DuplicateMode(StrEnum):
    """What an import does with a row matching an existing lead (or an earlier row of the file)."""

    SKIP = "SKIP"
    UPDATE = "UPDATE"
    CREATE = "CREATE"


class CustomFieldType(StrEnum):
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    DATE = "DATE"
    SELECT = "SELECT"
    MULTI_SELECT = "MULTI_SELECT"
    BOOLEAN = "BOOLEAN"
