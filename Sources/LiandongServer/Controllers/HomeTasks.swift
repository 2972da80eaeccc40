import Fluent
import Foundation
import LiandongCore
import SQLKit
import Vapor

/// "What do I do today": the tasks and panels of each role's home page (issue: the daily
/// experience). Each role sees its own work first; the register overview follows.
enum HomeTasks {
    struct Task: Encodable {
        var title: String
        var figure: String
        var text: String
        var href: String
        /// `due`, `late` or empty: how urgent it reads.
        var tone: String
    }

    struct Panel: Encodable {
        var title: String
        var header: [String]
        var rows: [[String]]
        var empty: String
        var hasRows: Bool
        var href: String
        var link: String
    }

    static func panel(_ title: String, header: [String], rows: [[String]], empty: String, href: String = "", link: String = "") -> Panel {
        Panel(title: title, header: header, rows: rows, empty: empty, hasRows: !rows.isEmpty, href: href, link: link)
    }

    static func build(_ req: Request, principal: Principal, now: Date? = nil) async throws -> (tasks: [Task], panels: [Panel]) {
        let now = now ?? req.now
        let book = req.application.liandong.ruleBook
        let rules = book.inForce(at: now)
        let today = LocalDate(now)
        var tasks: [Task] = [], panels: [Panel] = []
        func awaiting(_ agency: Agency) async throws -> Int {
            // Those the officer's own agency decides (issue 15).
            let directory = try await req.register().agencies
            var filter = DeductionFilter(jurisdictionID: principal.jurisdictionID, awaiting: agency)
            filter.decidedBy = directory.acting(for: principal).map { DecidingSeat($0.jurisdictionID, directory: directory) }
            return try await DeductionService.summary(filter, on: req.db).count
        }
        switch principal.role {
        case .psb?:
            let month = Period.containing(today, .month)
            if let campaign = try await InspectionService.latestCampaign(on: req.db), campaign.month == String(month.start.description.prefix(7)) {
                let called = Set(try await InspectionService.phoneChecks(from: month.startInstant, to: month.endInstant, on: req.db).map(\.unitID))
                let done = campaign.units.filter(called.contains).count
                tasks.append(Task(title: "本月电话抽查", figure: "\(done)/\(campaign.units.count)", text: done == campaign.units.count ? "本月抽查已完成" : "还有 \(campaign.units.count - done) 个单位待拨打",
                                  href: "/checks/phone", tone: done == campaign.units.count ? "" : "due"))
            } else {
                tasks.append(Task(title: "本月电话抽查", figure: "—", text: "尚未生成本月抽查名单", href: "/checks/phone", tone: "due"))
            }
            let mine = try await awaiting(.psb)
            tasks.append(Task(title: "待公安局确认的扣分", figure: String(mine), text: "逐条核实后确认或驳回", href: "/deductions?awaiting=psb", tone: mine == 0 ? "" : "due"))
            tasks.append(Task(title: "登记实战警情问题", figure: "+", text: "指令不畅、推诿扯皮、有警不出", href: "/findings#file", tone: ""))
            panels.append(try await liveDispatches(req, rules: book, now: now))
        case .emb?:
            let mine = try await awaiting(.emb)
            tasks.append(Task(title: "待应急管理局确认的扣分", figure: String(mine), text: "逐条核实后确认或驳回", href: "/deductions?awaiting=emb", tone: mine == 0 ? "" : "due"))
            let (periods, _) = try await InspectionService.calendar(rules: book, on: req.db)
            if let joint = periods.last(where: { $0.duty.id == .jointCheck }) {
                tasks.append(Task(title: "实地或视频联合检查", figure: String(joint.count), text: "\(joint.chineseLabel)：\(joint.status.chinese)",
                                  href: "/checks/drills", tone: joint.status == .overdue ? "late" : joint.count == 0 ? "due" : ""))
            }
            let warnings = try await PlanService.warnings(rules: book, calendar: req.application.liandong.calendar, asOf: today, on: req.db)
            tasks.append(Task(title: "应急预案即将到期", figure: String(warnings.count), text: "\(rules.plans.warningHorizonDays)日内到期的修订、公布和演练",
                              href: "/plans", tone: warnings.isEmpty ? "" : "due"))
            let quarter = Period.containing(today, .quarter)
            let report = try await ComplianceService.report(period: quarter, by: .level, jurisdictionID: principal.jurisdictionID, on: req.db)
            panels.append(panel("本季度到场时限（\(report.period)）", header: ["级别", "警情", "按时率", "到场用时P50", "报告齐全率"],
                                rows: (report.rows + [report.total]).map { [$0.label, String($0.dispatches), ComplianceService.percent($0.onTimeRate),
                                                                           ComplianceService.duration($0.p50ArrivalSeconds), ComplianceService.percent($0.completeReportRate)] },
                                empty: "本季度尚无联动警情", href: "/compliance", link: "查看到场时限分析"))
        case .plc?:
            let notices = try await NoticeService.list(on: req.db)
            let lastEnd = notices.filter { $0.status == "published" }.map(\.period_end).max()
            // What the PLC's next notice carries (issue 15): confirmed and not yet published, whatever the date.
            let directory = try await req.register().agencies
            var confirmed = 0
            if let publisher = directory.acting(for: principal) {
                confirmed = try await NoticeLedger.unpublished(publisher, directory: directory, on: req.db).count
            }
            tasks.append(Task(title: "上次通报以来确认的扣分", figure: String(confirmed),
                              text: lastEnd.map { "\(LocalDate($0).chinese)以来" } ?? "尚未发布通报", href: "/deductions?status=confirmed", tone: ""))
            // Issue 15: deductions against the EMB or the police are decided by the other and the PLC.
            let mine = try await awaiting(.plc)
            if mine > 0 {
                tasks.append(Task(title: "待政法委决定的扣分", figure: String(mine), text: "扣分对象是应急管理局或公安局的，由另一部门和政法委决定",
                                  href: "/deductions?awaiting=plc", tone: "due"))
            }
            let drafts = notices.filter { $0.status == "draft" }
            tasks.append(Task(title: "通报草稿", figure: String(drafts.count), text: drafts.first.map { $0.title } ?? "起草本期通报",
                              href: drafts.first.map { "/notices/\($0.id)" } ?? "/notices", tone: drafts.isEmpty ? "" : "due"))
            let assessment = try await AssessmentService.report(.year(today.year), rules: book, withIDs: false, on: req.db)
            panels.append(panel("\(today.year)年综合考核（截至今日）", header: ["名次", "考核对象", "扣分", "得分"],
                                rows: assessment.ranked.prefix(10).map { [$0.rank.map(String.init) ?? "—", $0.entity, Points($0.deductions).description, Points($0.score).description] },
                                empty: "本年尚无已确认的扣分", href: "/assessment", link: "查看全部排名"))
        case .liaison?:
            guard let unitID = principal.unitID else { break }
            let unit = try await RegisterService.unit(unitID, on: req.db)
            tasks.append(Task(title: "本单位联系方式", figure: unit.dutyPhone == nil ? "未登记" : "已登记",
                              text: "值班电话、联络员有变化请及时报备", href: "/units/\(unitID)", tone: unit.dutyPhone == nil ? "due" : ""))
            let deductions = try await DeductionService.list(DeductionFilter(unitID: unitID), rules: book, calendar: req.application.liandong.calendar,
                                                             directory: try await req.register().agencies, on: req.db)
            let appealable = deductions.filter { $0.appealDeadline != nil }
            tasks.append(Task(title: "可申诉的扣分", figure: String(appealable.count),
                              text: appealable.compactMap(\.appealDeadline).min().flatMap(ChinaTime.parseTimestamp).map { "最近的申诉期限：\(ChinaTime.displayString($0))" } ?? "无",
                              href: "/deductions", tone: appealable.isEmpty ? "" : "due"))
            let rectifications = try await Rectifications.list(unitID: unitID, on: req.db).filter { $0.completedAt == nil }
            tasks.append(Task(title: "待完成的整改", figure: String(rectifications.count),
                              text: rectifications.map(\.dueOn).min().map { "最近的整改期限：\($0)" } ?? "无",
                              href: "/rectifications", tone: rectifications.contains(where: \.overdue) ? "late" : rectifications.isEmpty ? "" : "due"))
            let year = try await ComplianceService.report(period: .year(today.year), by: .all, unitID: unitID, summary: true, on: req.db)
            let limit = rules.limit(level: unit.unitLevel, publicSecurity: unit.publicSecurity)
            tasks.append(Task(title: "本年按时到场率", figure: ComplianceService.percent(year.total.onTimeRate),
                              text: "时限\(limit)；\(year.total.arrivalsJudged) 起判定到场，\(year.total.onTime) 起按时", href: "/compliance?period=\(today.year)", tone: ""))
            panels.append(panel("本单位的扣分", header: ["发生时间", "项目", "扣分", "状态", "事由"],
                                rows: deductions.suffix(10).reversed().map {
                                    [ChinaTime.parseTimestamp($0.occurredAt).map(ChinaTime.displayString) ?? $0.occurredAt, $0.item,
                                     Points($0.points).description, $0.statusName, $0.reason]
                                },
                                empty: "本单位暂无扣分", href: "/deductions", link: "查看全部并申诉"))
        case .admin?:
            // The working calendar: a year it does not hold is counted Monday to Friday.
            let calendar = req.application.liandong.calendar
            let missing = CalendarPages.uncoveredSoon(calendar, today: today)
            if missing.isEmpty {
                tasks.append(Task(title: "工作日历", figure: calendar.years.max().map { "至\($0)年" } ?? "—",
                                  text: "节假日安排已录入", href: "/admin/calendar", tone: ""))
            } else {
                let years = missing.map { "\($0)年" }.joined(separator: "、")
                tasks.append(Task(title: "工作日历", figure: "\(years)未录入",
                                  text: "\(years)的节假日安排尚未录入，暂按周一至周五计算工作日；请导入国务院办公厅的通知",
                                  href: "/admin/calendar", tone: "due"))
            }
        default:
            break
        }
        return (tasks, panels)
    }

    /// Dispatches under way (instructed in the last day, not settled), with their clocks against
    /// each unit's limit.
    static func liveDispatches(_ req: Request, rules: RuleBook, now: Date) async throws -> Panel {
        struct Row: Decodable {
            var incident_id: String; var unit_id: Int; var instructed_at: Date; var arrived_at: Date?; var level: Int; var public_security: Bool
        }
        let rows = try await (req.db as! any SQLDatabase).select()
            .columns("incident_id", "unit_id", "instructed_at", "arrived_at", "level", "public_security").from("dispatches")
            .where("settled", .equal, SQLBind(false)).where("exercise", .equal, SQLBind(false))
            .where("instructed_at", .greaterThan, SQLBind(now.addingTimeInterval(-86_400)))
            .orderBy("instructed_at", .descending).limit(20).all(decoding: Row.self)
        let register = try await req.register()
        return panel("在途联动警情", header: ["警情", "单位", "下达指令", "用时/时限", "状态"], rows: rows.map { r in
            let limit = rules.inForce(at: r.instructed_at).limit(level: UnitLevel(rawValue: r.level) ?? .three, publicSecurity: r.public_security)
            let elapsed = RuleSet.elapsedSeconds(from: r.instructed_at, to: r.arrived_at ?? now)
            let state = r.arrived_at != nil ? (elapsed <= limit.seconds ? "按时到达" : "超时到达") : (elapsed <= limit.seconds ? "在途" : "已超时")
            return [r.incident_id, register.name(r.unit_id) ?? String(r.unit_id), ChinaTime.displayString(r.instructed_at),
                    "\(RuleSet.durationText(seconds: elapsed))/\(limit)", state]
        }, empty: "当前没有在途的联动警情", href: "/compliance", link: "到场时限分析")
    }
}

/// `/overview`: the wall screen in the command hall (1920×1080), refreshing itself every minute.
enum OverviewPage {
    struct Figure: Encodable {
        var label: String
        var value: String
        var note: String
    }

    /// A table cell of the screen, with its class (`num` right-aligns a figure, `nowrap` keeps a
    /// short phrase on one line).
    struct Cell: Encodable {
        var text: String
        var cls: String
    }

    static func row(_ texts: [String], _ classes: [String]) -> [Cell] {
        zip(texts, classes).map { Cell(text: $0, cls: $1) }
    }

    struct Context: Encodable {
        var frame: PageFrame
        var updated: String
        var figures: [Figure]
        var levels: [[Cell]]
        var late: [[Cell]]
        /// Units named by their lateness: for the supervising agencies, not for a unit's liaison,
        /// who sees the city's figures as totals only.
        var showLate: Bool
        var duties: [[Cell]]
        /// The year's on-time rate by month, and this month's arrival times against the limits.
        var trendChart: String
        var histogramChart: String
        var refreshSeconds: Int
    }

    @Sendable static func page(req: Request) async throws -> View {
        let now = Date(), today = LocalDate(now)
        let liaison = try req.requirePrincipal().role == .liaison
        let book = req.application.liandong.ruleBook
        let month = Period.containing(today, .month)
        let checks = try await InspectionService.phoneChecks(from: month.startInstant, to: month.endInstant, on: req.db)
        let answered = checks.filter(\.answered).count
        // With the monthly trend and the histogram (not `summary`): the screen draws them.
        let byLevel = try await ComplianceService.report(period: month, by: .level, on: req.db)
        let byUnit = try await ComplianceService.report(period: .year(today.year), by: .unit, names: try await req.register().names, on: req.db)
        struct N: Decodable { var n: Int }
        let open = try await (req.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM deductions WHERE status = 'proposed' OR status = 'appealed'")
            .first(decoding: N.self)?.n ?? 0
        let (periods, _) = try await InspectionService.calendar(rules: book, on: req.db)
        let rules = book.inForce(at: now)
        let duties = rules.supervisionDuties.compactMap { duty in
            periods.last { $0.duty.id == duty.id }.map { [duty.title, $0.chineseLabel, $0.status.chinese] }
        }
        let late = byUnit.rows.map { ($0.label, $0.arrivalsJudged - $0.onTime, $0.arrivalsJudged) }.filter { $0.1 > 0 }
            .sorted { ($1.1, $0.0) < ($0.1, $1.0) }.prefix(12)
        // Drawn a little taller than on the compliance page: the screen has the height to fill.
        let histogram = ComplianceCharts.arrivals(byLevel, title: "本月到场用时分布", rules: rules, width: 560, height: 330)
        let trend = ComplianceCharts.onTimeTrend(title: "\(today.year)年各月按时到场率",
                                                 points: byUnit.months.map { (String(Int($0.month.suffix(2)) ?? 0) + "月", $0.onTimeRate) },
                                                 width: 560, height: 330)
        return try await req.view.render("overview", Context(
            frame: PageFrame(req, title: "全市概况", active: "overview"),
            updated: ChinaTime.displayString(now),
            figures: [
                Figure(label: "本月电话抽查接通", value: checks.isEmpty ? "—" : "\(answered)/\(checks.count)",
                       note: checks.isEmpty ? "本月尚未抽查" : "接通次数/抽查次数"),
                Figure(label: "本月按时到场率", value: ComplianceService.percent(byLevel.total.onTimeRate), note: "\(byLevel.total.dispatches) 起联动警情"),
                Figure(label: "本年按时到场率", value: ComplianceService.percent(byUnit.total.onTimeRate), note: "\(byUnit.total.dispatches) 起联动警情"),
                Figure(label: "待确认或申诉中的扣分", value: String(open), note: "条，待两部门确认或处理申诉"),
            ],
            levels: byLevel.rows.map { Self.row([$0.label, ComplianceService.percent($0.onTimeRate), String($0.dispatches)], ["", "num", "num"]) },
            late: liaison ? [] : late.map { Self.row([$0.0, String($0.1), String($0.2)], ["", "num", "num"]) }, showLate: !liaison,
            duties: duties.map { Self.row($0, ["", "nowrap", "nowrap"]) }, trendChart: trend, histogramChart: histogram, refreshSeconds: 60))
    }
}
