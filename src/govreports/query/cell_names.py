"""The record's cells in words: each table's, item's, measure's, applicant's and row's English (and, where the
schema has none, Chinese) name, and each measure's unit, for query.columns to document the cell columns with."""

from __future__ import annotations

from govreports import schema

CASES = "件"

TABLE_ZH = {"active": "主动公开", "applications": "依申请", "review_litigation": "复议诉讼"}
TABLE_EN = {"active": "active disclosure (table 二)", "applications": "applications (table 三)",
            "review_litigation": "review and litigation (table 四)"}

ACTIVE_ITEMS_EN = {
    "rules": "rules (规章)", "normative_documents": "normative documents", "licensing": "administrative licensing",
    "other_services": "other external management services", "penalty": "administrative penalties",
    "coercion": "administrative coercion", "fees": "administrative fees",
    "procurement": "government centralised procurement",
}
MEASURES = {  # key -> (English meaning, unit)
    "made": ("documents made this year", CASES),
    "published": ("documents newly published this year", CASES),
    "total": ("documents published in all (in force)", CASES),
    "issued": ("documents issued this year", CASES),
    "repealed": ("documents repealed this year", CASES),
    "in_force": ("documents in force", CASES),
    "prior_year_items": ("items at the end of the previous year", "项"),
    "change": ("change in items this year (signed)", "项"),
    "decisions": ("decisions made this year", CASES),
    "amount_10k_yuan": ("fees collected this year", "万元"),
    "projects": ("procurement projects", "个"),
    "amount": ("procurement amount, the number as written", "the unit in amount_unit"),
    "amount_unit": ("unit written with the procurement amount (元, 万元)", ""),
}
MEASURE_ZH = {**schema.MEASURE_LABELS, "amount_unit": "采购总金额单位"}
APPLICANTS_EN = {
    "natural_person": "natural persons", "commercial": "commercial enterprises", "research": "research institutions",
    "social_welfare": "public-interest organisations", "legal_services": "legal service providers",
    "other_org": "other organisations", "total": "total",
}
APPLICATION_ROWS_EN = {
    "new": "new applications received this year", "carried_in": "carried over from the previous year",
    "granted": "granted", "partly_granted": "partly granted",
    "withheld_state_secret": "withheld: state secret", "withheld_law_prohibited": "withheld: prohibited by law",
    "withheld_security_stability": "withheld: would endanger security or stability",
    "withheld_third_party": "withheld: third party's rights", "withheld_internal_affairs": "withheld: internal affairs",
    "withheld_process_info": "withheld: process information", "withheld_enforcement_file": "withheld: enforcement file",
    "withheld_admin_inquiry": "withheld: administrative inquiry matter",
    "unavailable_not_held": "cannot be provided: not held", "unavailable_needs_creation":
        "cannot be provided: would have to be created", "unavailable_unclear": "cannot be provided: still unclear",
    "rejected_petition": "not processed: petition or complaint", "rejected_repeated": "not processed: repeated",
    "rejected_publication": "not processed: asks for a publication",
    "rejected_excessive": "not processed: excessive repeated applications",
    "rejected_confirmation": "not processed: asks to confirm information already obtained",
    "other": "other handling", "other_overdue_correction": "other: applicant did not complete the application",
    "other_overdue_fee": "other: applicant did not pay the fee", "other_misc": "other: other",
    "total": "total handled", "carried_out": "carried over to next year",
}
REVIEW_GROUPS_EN = {"review": "administrative review", "litigation_direct": "lawsuits without review first",
                    "litigation_after_review": "lawsuits after review"}
REVIEW_MEASURES_EN = {"upheld": "decision upheld", "corrected": "decision corrected", "other": "other outcome",
                      "pending": "not yet concluded", "total": "total"}

