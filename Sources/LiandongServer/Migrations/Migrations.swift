import Fluent

/// Every migration, in order. Append only: a released migration is never edited.
enum LiandongMigrations {
    static let all: [any Migration] = [
        CreateRegister(),
        SeedRegister(),
        CreateSecurity(),
        CreateDispatches(),
        CreateInspections(),
        UpdateDrillsAddFinishedAt(),
        CreateDeductions(),
        CreateRectifications(),
        CreateNotices(),
        CreateEquipmentChecklists(),
        AddComplianceIndex(),
        CreatePlansAndRuleSets(),
        AddTwoFactor(),
        CreateAttachments(),
        AddUnitNameInitials(),
        AddDeductionAwaiting(),
        AddDrillIDToDispatchEvents(),
        CreateLoginFailures(),
        AddCampaignOutOfHours(),
        AddAccountInboxReadAt(),
        CreateOutboundWatermarks(),
        AddDrillAgencies(),
        AddFindingReports(),
        CreateWorkingCalendar(),
        CreateDispatchRollups(),
        CreateDeductionTotals(),
        UpdateAgenciesAddJurisdiction(),
        UpdateNoticesAddPublisher(),
        CreateAssessmentClosures(),
        UpdateNoticesAddRequirements(),
        CreateRegisterVersion(),
    ]
}
