"""The FOCUS 1.2 columns: the specification's catalogue, and the columns this export writes, with their types."""

from __future__ import annotations

from dataclasses import dataclass

FOCUS_VERSION = "1.2"

#: Every column of FOCUS 1.2 Cost and Usage; a name outside this set must carry the ``x_`` prefix.
FOCUS_COLUMNS = frozenset({
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType",
    "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "CapacityReservationId",
    "CapacityReservationStatus", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
    "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory", "CommitmentDiscountId",
    "CommitmentDiscountName", "CommitmentDiscountQuantity", "CommitmentDiscountStatus", "CommitmentDiscountType",
    "CommitmentDiscountUnit", "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice",
    "EffectiveCost", "InvoiceId", "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory",
    "PricingCurrency", "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "RegionId",
    "RegionName", "ResourceId", "ResourceName", "ResourceType", "ServiceCategory", "ServiceName",
    "ServiceSubcategory", "SkuId", "SkuMeter", "SkuPriceDetails", "SkuPriceId", "SubAccountId", "SubAccountName",
    "SubAccountType", "Tags",
})

#: Mandatory in 1.2: present in every dataset.
MANDATORY = frozenset({
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity",
    "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
})

#: Columns that the specification says must never be null (when present).
NOT_NULL = frozenset({
    "BilledCost", "BillingAccountId", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory",
    "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost", "EffectiveCost",
    "InvoiceIssuerName", "ListCost", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
    "ServiceSubcategory",
})

DECIMAL, STRING, DATETIME, JSON = "Decimal", "String", "DateTime", "JSON"

#: The FOCUS data type of every FOCUS column this check knows the type of (others are read as strings).
FOCUS_TYPES = {
    **dict.fromkeys(("BilledCost", "ContractedCost", "EffectiveCost", "ListCost", "PricingQuantity",
                     "ConsumedQuantity", "ListUnitPrice", "ContractedUnitPrice", "CommitmentDiscountQuantity",
                     "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
                     "PricingCurrencyListUnitPrice"), DECIMAL),
    **dict.fromkeys(("BillingPeriodEnd", "BillingPeriodStart", "ChargePeriodEnd", "ChargePeriodStart"), DATETIME),
    **dict.fromkeys(("Tags", "SkuPriceDetails"), JSON),
}


@dataclass(frozen=True)
class Column:
    """One exported column: its FOCUS data type, whether it may be null, and where its value comes from."""

    name: str
    data_type: str
    nullable: bool
    source: str

    @property
    def custom(self) -> bool:
        return self.name.startswith("x_")


#: The columns written, in file order (FOCUS columns alphabetically, then the custom ones). The SQL in
#: include/sql/export/focus_<provider>.sql selects exactly these; docs/focus.md explains each source.
COLUMNS: tuple[Column, ...] = (
    Column("BilledCost", DECIMAL, False, "cost_data.amount"),
    Column("BillingAccountId", STRING, False, "cost_data.organization_id; `team:<team_id>` where the API names none"),
    Column("BillingAccountName", STRING, True, "null: the APIs do not give the organization's name"),
    Column("BillingCurrency", STRING, False, "upper(cost_data.currency)"),
    Column("BillingPeriodEnd", DATETIME, False, "first day of the next UTC month"),
    Column("BillingPeriodStart", DATETIME, False, "first day of the UTC month of usage_date"),
    Column("ChargeCategory", STRING, False, "`Usage`"),
    Column("ChargeClass", STRING, True, "null (no corrections of invoiced periods)"),
    Column("ChargeDescription", STRING, True, "cost_data.line_item (OpenAI line item, Anthropic description)"),
    Column("ChargeFrequency", STRING, False, "`Usage-Based`"),
    Column("ChargePeriodEnd", DATETIME, False, "usage_date + 1 day"),
    Column("ChargePeriodStart", DATETIME, False, "usage_date (the UTC day bucket)"),
    Column("ConsumedQuantity", DECIMAL, True, "cost_data.quantity in the base unit (x 1000 for `1000_tokens`)"),
    Column("ConsumedUnit", STRING, True, "the FOCUS unit of quantity_unit without a quantity prefix"),
    Column("ContractedCost", DECIMAL, False, "cost_data.amount (no negotiated prices in these APIs)"),
    Column("EffectiveCost", DECIMAL, False, "cost_data.amount (no amortised commitments)"),
    Column("InvoiceIssuerName", STRING, False, "`OpenAI` / `Anthropic`"),
    Column("ListCost", DECIMAL, False, "cost_data.amount (list prices are not given)"),
    Column("PricingQuantity", DECIMAL, True, "cost_data.quantity; null where the API gives none"),
    Column("PricingUnit", STRING, True, "quantity_unit in FOCUS units (`tokens` -> `Tokens`, ...)"),
    Column("ProviderName", STRING, False, "`OpenAI` / `Anthropic`"),
    Column("PublisherName", STRING, False, "`OpenAI` / `Anthropic`"),
    Column("ServiceCategory", STRING, False, "`AI and Machine Learning`"),
    Column("ServiceName", STRING, False, "`OpenAI API` / `Claude API`"),
    Column("ServiceSubcategory", STRING, False, "`Generative AI`"),
    Column("SkuId", STRING, True, "cost_data.line_item (the parsed model and token kind once analytics adds them)"),
    Column("SkuPriceId", STRING, True, "as SkuId (the line item already names the tier: `batch | ...`)"),
    Column("SubAccountId", STRING, True, "OpenAI project id (null for `unassigned`) / Anthropic workspace id or `default`"),
    Column("SubAccountName", STRING, True, "registered project / workspace name; the id where none is registered"),
    Column("SubAccountType", STRING, True, "`Project` / `Workspace`; null with SubAccountId"),
    Column("Tags", JSON, True, '{"team": "<team_id>"}'),
    Column("x_Provider", STRING, False, "cost_data.provider (`openai` / `anthropic`)"),
    Column("x_TeamId", STRING, False, "cost_data.team_id"),
    Column("x_TeamName", STRING, False, "teams.name"),
    Column("x_ProjectId", STRING, False, "cost_data.project_id as stored (`unassigned`, `default` included)"),
    Column("x_OrganizationId", STRING, True, "cost_data.organization_id as the API gave it (null: not named)"),
    Column("x_LineItem", STRING, False, "cost_data.line_item, the raw line item (key of the data)"),
    Column("x_QuantityUnit", STRING, True, "cost_data.quantity_unit, the raw unit"),
    Column("x_CollectedAt", DATETIME, False, "cost_data.collected_at (UTC)"),
    Column("x_ApiKeyId", STRING, True, "cost_data.api_key_id: the API key that spent it (null: none reported)"),
    Column("x_Allocated", STRING, False, "cost_data.allocated: `true` for Anthropic amounts allocated over keys by "
                                        "their tokens (docs/attribution.md), not billed per key"),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
BY_NAME = {c.name: c for c in COLUMNS}
COST_COLUMNS = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost")

#: FOCUS 1.2 allowed values.
CHARGE_CATEGORIES = frozenset({"Usage", "Purchase", "Tax", "Credit", "Adjustment"})
CHARGE_CLASSES = frozenset({"Correction"})
CHARGE_FREQUENCIES = frozenset({"One-Time", "Recurring", "Usage-Based"})
SERVICE_CATEGORIES = frozenset({
    "AI and Machine Learning", "Analytics", "Business Applications", "Compute", "Databases", "Developer Tools",
    "Multicloud", "Identity", "Integration", "Internet of Things", "Management and Governance", "Media",
    "Migration", "Mobile", "Networking", "Security", "Storage", "Web", "Other",
})
#: ServiceSubcategory values by parent category (the one category this export writes).
SERVICE_SUBCATEGORIES = {
    "AI and Machine Learning": frozenset({
        "AI Platforms", "Bots", "Generative AI", "Machine Learning", "Natural Language Processing",
        "Other (AI and Machine Learning)",
    }),
}
