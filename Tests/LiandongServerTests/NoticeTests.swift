import Fluent
import Foundation
import LiandongCore
import LiandongDocuments
import Testing
import VaporTesting
@testable import LiandongServer

@Suite("Notices: drafted and published by the PLC, immutable once published")
struct NoticeTests {
    func seedConfirmed(_ app: Application) async throws {
        let t0 = ChinaTime.parseTimestamp("2026-03-01T08:15:00+08:00")!
        _ = try await DispatchService.ingest([
            DispatchEventInput(eventID: "A1", incidentID: "110-A", unit: "市水利局", type: .instructed, at: t0),
            DispatchEventInput(eventID: "A2", incidentID: "110-A", unit: "市水利局", type: .arrived, at: t0.addingTimeInterval(1201)),
            DispatchEventInput(eventID: "A3", incidentID: "110-A", unit: "市水利局", type: .resultReported, at: t0.addingTimeInterval(3600)),
        ], actor: .console(), rules: app.liandong.ruleBook, now: t0.addingTimeInterval(7200), on: app.db)
        try await DeductionService.sync(on: app.db)
        let d = try #require(try await DeductionService.list(DeductionFilter(), rules: app.liandong.ruleBook, calendar: app.liandong.calendar, on: app.db).first)
        for (agency, officer) in [(Agency.emb, "李"), (.psb, "王")] {
            try await DeductionService.decide([d.id], decision: .confirm(points: nil, reason: nil), agency: agency, officer: officer, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
        }
    }

    @Test func draftPublishAndNumbering() async throws {
        try await withTestApp { app in
            try await seedConfirmed(app)
            let plc = try await app.signIn(.plc), emb = try await app.signIn(.emb), liaison = try await app.signIn(.liaison, unitID: 4)
            try await app.send(.POST, "notices", as: emb, form: ["period": "2026-Q1"]) { res in #expect(res.status == .forbidden) }
            var id = 0
            try await app.send(.POST, "notices", as: plc, form: ["period": "2026-Q1"]) { res in
                #expect(res.status == .seeOther)
                id = Int(res.headers.first(name: .location)?.split(separator: "/").last ?? "") ?? 0
            }
            try await app.send(.GET, "notices/\(id)", as: plc) { res in
                let html = res.body.string
                #expect(html.contains("关于2026年第一季度社会应急联动工作检查情况的通报"))
                #expect(html.contains("市水利局"))
                #expect(html.contains("合计0.5分"))
                #expect(html.contains("草稿"))
                // A draft has no 成文日期 yet, never today's.
                #expect(html.contains("成文日期：发布时填写"))
                #expect(!html.contains(LocalDate(app.liandong.clock.now()).chinese))
                // 发布 stands apart, says what it does and asks for the check.
                #expect(html.contains("<section class=\"publish\""))
                #expect(html.contains("name=\"confirmed\"") && html.contains("已核对通报内容"))
                #expect(html.contains("成文日期填为发布当日"))
            }
            // Edited in the draft: title (a typed line break kept), a lead of two paragraphs, the requirements.
            try await app.send(.POST, "notices/\(id)/edit", as: plc, form: [
                "title": "关于2026年第一季度\r\n社会应急联动工作检查情况的通报", "intro": "第一段导语。\r\n\r\n第二段导语。", "requirements": "请各单位限期整改。",
            ]) { res in #expect(res.status == .seeOther) }
            let edited = try await NoticeService.load(id, rules: app.liandong.ruleBook, on: app.db)
            #expect(edited.title == "关于2026年第一季度\n社会应急联动工作检查情况的通报" && edited.requirements == "请各单位限期整改。")
            let editedDoc = NoticeDocument(edited)
            #expect(editedDoc.titleLines == ["关于2026年第一季度", "社会应急联动工作检查情况的通报"])
            #expect(Self.paragraphs(editedDoc).prefix(2) == ["第一段导语。", "第二段导语。"])
            #expect(Self.paragraphs(editedDoc).contains("请各单位限期整改。"))
            try await app.send(.GET, "notices/\(id)", as: plc) { res in
                #expect(res.body.string.contains("<span class=\"title-line\">社会应急联动工作检查情况的通报</span>"))
            }
            // Without the checkbox the page refuses to publish, with a reason, and writes nothing.
            let auditsBefore = try await AuditEntry.query(on: app.db).count()
            try await app.send(.POST, "notices/\(id)/publish", as: plc, form: [:]) { res in
                #expect(res.status == .badRequest)
                #expect(res.body.string.contains("请先核对通报内容并勾选「已核对通报内容」"))
            }
            #expect(try await NoticeService.load(id, rules: app.liandong.ruleBook, on: app.db).status == "draft")
            #expect(try await AuditEntry.query(on: app.db).count() == auditsBefore)
            // A draft is the PLC's until published.
            try await app.send(.GET, "notices/\(id)", as: liaison) { res in #expect(res.status == .forbidden) }
            try await app.send(.POST, "notices/\(id)/publish", as: emb, form: [:]) { res in #expect(res.status == .forbidden) }
            try await app.send(.POST, "notices/\(id)/publish", as: plc, form: ["confirmed": "1"]) { res in #expect(res.status == .seeOther) }
            let year = LocalDate(app.liandong.clock.now()).year
            let published = try await NoticeService.load(id, rules: app.liandong.ruleBook, on: app.db)
            #expect(published.number == "丽应联通〔\(year)〕1号")
            // Dated on the day of publication, by the app's clock.
            #expect(NoticeDocument(published).dateText == LocalDate(app.liandong.clock.now()).chinese)
            // Published: immutable.
            try await app.send(.POST, "notices/\(id)/edit", as: plc, form: ["title": "改标题", "intro": "x"]) { res in #expect(res.status == .conflict) }
            try await app.send(.POST, "notices/\(id)/publish", as: plc, form: ["confirmed": "1"]) { res in #expect(res.status == .conflict) }
            try await app.send(.GET, "notices/\(id)", as: liaison) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("丽应联通〔\(year)〕1号"))
            }
            // A correction is a new notice that refers to the first; numbers go on, never reused.
            let second = try await NoticeService.draft(period: .quarter(2026, 1), title: "关于更正的通报", intro: nil, corrects: id, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            let again = try await NoticeService.publish(second, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            #expect(again.number == "丽应联通〔\(year)〕2号")
            #expect(NoticeDocument(again).blocks.contains { if case .paragraph(let t) = $0 { return t.contains("第\(id)号通报的更正") } else { return false } })
            // The published content stays as it was even when the period's deductions change later.
            let html = try await app.run(["notice", "export", String(id), "--format", "html", "--output", FileManager.default.temporaryDirectory.appendingPathComponent("n-\(UUID().uuidString).html").path])
            #expect(html.contains("已导出"))
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "notice.publish").count() == 2)
        }
    }

    @Test func theStandaloneHTMLIsTheDocument() async throws {
        try await withTestApp { app in
            try await seedConfirmed(app)
            let id = try await NoticeService.draft(period: .quarter(2026, 1), title: nil, intro: nil, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            let html = NoticeExport.html(try await NoticeService.load(id, rules: app.liandong.ruleBook, on: app.db))
            #expect(html.contains("@page { size: A4; margin: 37mm 26mm 35mm 28mm; }"))
            #expect(html.contains("丽水市社会应急联动工作通报"))
            #expect(html.contains("各县（市、区）政法委、应急管理局、公安局，市应急联动成员单位，丽水开发区管委会："))
            // The unit in the annex's full list; numbers right-aligned.
            #expect(html.contains("<td class=\"left\">市水利局</td>"))
            #expect(html.contains("<td class=\"right\">0.5</td>"))
            #expect(html.contains("<p class=\"annex-label\">附件</p>"))
            #expect(html.contains("成文日期：发布时填写"))
            // The period by its name, as the title says it.
            #expect(!html.contains("2026年1月1日至2026年3月31日") && html.contains("2026年第一季度"))
        }
    }

    @Test func theWordFileOpensInAWordProcessorLibrary() async throws {
        try await withTestApp { app in
            try await seedConfirmed(app)
            let id = try await NoticeService.draft(period: .quarter(2026, 1), title: nil, intro: nil, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            _ = try await NoticeService.publish(id, actor: .console(), rules: app.liandong.ruleBook, on: app.db)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("notice-\(UUID().uuidString).docx").path
            _ = try await app.run(["notice", "export", String(id), "--format", "docx", "--output", path])
            let script = """
            import json, sys
            try:
                import docx
            except ImportError:
                print("python-docx missing: pip install python-docx"); sys.exit(3)
            d = docx.Document(sys.argv[1])
            s = d.sections[0]
            print(json.dumps({"texts": [p.text for p in d.paragraphs], "cells": [c.text for t in d.tables for r in t.rows for c in r.cells],
                              "width_mm": round(s.page_width.mm), "top_mm": round(s.top_margin.mm)}, ensure_ascii=False))
            """
            let result = try runProcess("python3", ["-c", script, path])
            #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
            let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
            let texts = (parsed["texts"] as? [String] ?? []).joined(separator: "\n")
            let year = LocalDate(Date()).year
            #expect(texts.contains("丽水市社会应急联动工作通报"))
            #expect(texts.contains("丽应联通〔\(year)〕1号"))
            // The title in two lines, broken between words.
            #expect(texts.contains("关于2026年第一季度\n社会应急联动工作检查情况的通报"))
            #expect(texts.contains("市水利局"))
            #expect((parsed["cells"] as? [String])?.contains("市水利局") == true)
            #expect(parsed["width_mm"] as? Int == 210 && parsed["top_mm"] as? Int == 37)
        }
    }

    // MARK: - The notice as a document

    static func paragraphs(_ d: NoticeDocument) -> [String] {
        d.blocks.compactMap { if case .paragraph(let t) = $0 { t } else { nil } }
    }

    static func headings(_ d: NoticeDocument) -> [String] {
        d.blocks.compactMap { b -> String? in
            switch b {
            case .heading1(let t), .heading2(let t): t
            default: nil
            }
        }
    }

    static func tables(_ blocks: [NoticeDocument.Block]) -> [(header: [String], rows: [[String]], align: [NoticeDocument.Align])] {
        blocks.compactMap { if case .table(let h, let r, _, let a) = $0 { (h, r, a) } else { nil } }
    }

    /// A notice of `count` deductions over the jurisdictions' units, as a demo quarter has
    /// (no database: the document only).
    static func sample(count: Int, city: Bool = true, status: String = "draft", work: NoticeContent.Work? = nil) -> NoticeDTO {
        let items = ["D1", "D2", "D3", "D4", "D5", "D7", "D8", "D9"]
        let places = city ? Jurisdictions.all.map(\.name) : ["龙泉市"]
        var groups: [NoticeContent.JurisdictionGroup] = []
        var n = 0
        for (j, place) in places.enumerated() {
            var units: [NoticeContent.UnitGroup] = []
            for u in 0..<7 {
                let unit = "\(place)联动单位\(u + 1)"
                var entries: [NoticeContent.Entry] = []
                let share = count / (places.count * 7) + ((j * 7 + u) < count % (places.count * 7) ? 1 : 0)
                for _ in 0..<share {
                    n += 1
                    let item = items[n % items.count]
                    let points = [0.5, 1, 2, 0.5, 1][n % 5]
                    entries.append(.init(deductionId: n, item: item, itemTitle: "扣分项\(item)", facts: "\(unit)首批处置力量\(20 + n % 30)分钟到场，超过20分钟时限（事件110-\(n)）",
                                         points: points, occurredOn: "2026年\(1 + n % 3)月\(1 + n % 28)日"))
                }
                if !entries.isEmpty { units.append(.init(unit: unit, entries: entries, total: entries.reduce(0) { $0 + $1.points })) }
            }
            if !units.isEmpty { groups.append(.init(jurisdiction: place, units: units)) }
        }
        let all = groups.flatMap(\.units)
        let content = NoticeContent(periodLabel: "2026年第一季度", groups: groups, changes: [], summary: all.map { .init(entity: $0.unit, count: $0.entries.count, points: $0.total) },
                                    work: work ?? .init(phoneChecks: 3, unitsCalled: 30, drills: 1, meetings: 0, dispatches: 240),
                                    total: all.reduce(0) { $0 + $1.total }, count: n)
        return NoticeDTO(id: 7, number: status == "published" ? "丽应联通〔2026〕3号" : nil, title: "关于2026年第一季度社会应急联动工作监督检查情况的通报",
                         intro: "根据有关规定，现将有关情况通报如下。", requirements: NoticeService.standardRequirements, status: status,
                         periodFrom: "2026-01-01", periodTo: "2026-03-31", correctsId: nil,
                         publishedAt: status == "published" ? "2026-04-03T10:00:00+08:00" : nil, publishedBy: nil,
                         publisherId: city ? Agency.plc.rawValue : "longquan-plc", publisher: city ? "市委政法委" : "龙泉市委政法委",
                         issuerMark: city ? "丽水市社会应急联动工作通报" : "龙泉市社会应急联动工作通报", signature: city ? "中共丽水市委政法委员会" : "中共龙泉市委政法委员会",
                         embName: city ? "市应急管理局" : "龙泉市应急管理局", psbName: city ? "市公安局" : "龙泉市公安局", jurisdiction: city ? "市本级" : "龙泉市",
                         content: content, deductionIds: content.deductionIds, changedDeductionIds: [])
    }

    @Test func theBodySumsUpAndTheAnnexListsEveryDeduction() throws {
        let notice = Self.sample(count: 700)
        let d = NoticeDocument(notice)
        let heads = Self.headings(d)
        #expect(heads == ["一、监督检查工作开展情况", "二、扣分情况", "（一）典型问题", "三、有关要求"])
        let texts = Self.paragraphs(d).joined(separator: "\n")
        #expect(texts.contains("本期共扣分700项，合计\(Points(notice.content.total).wording)分，涉及\(notice.content.groups.flatMap(\.units).count)家单位"))
        // Nothing that did not happen: no meeting was held.
        #expect(!texts.contains("0次") && !texts.contains("会商会"))
        // The summary by jurisdiction, numbers right-aligned, with a total.
        let summary = try #require(Self.tables(d.blocks).first)
        #expect(Self.tables(d.blocks).count == 1)
        #expect(summary.header == ["序号", "地区", "涉及单位", "扣分项数", "扣分"])
        #expect(summary.rows.count == notice.content.groups.count + 1 && summary.rows.last?[1] == "合计" && summary.rows.last?[3] == "700")
        #expect(summary.align == [.center, .left, .right, .right, .right])
        // A few typical cases, numbered 1． 2． …, each naming the unit, the date and the points.
        let cases = Self.paragraphs(d).filter { $0.range(of: #"^[0-9]+．"#, options: .regularExpression) != nil }
        #expect((1...6).contains(cases.count))
        #expect(cases.enumerated().allSatisfy { $1.hasPrefix("\($0 + 1)．") && $1.contains("联动单位") && $1.contains("2026年") && $1.contains("扣") && $1.hasSuffix("分。") })
        // The unit's name is said once.
        #expect(cases.allSatisfy { $0.components(separatedBy: "联动单位").count == 2 })
        // The annex: every deduction, in a table of its own.
        let annex = try #require(d.annex)
        #expect(annex.title == "扣分明细表")
        let list = try #require(Self.tables(annex.blocks).first)
        #expect(list.header == ["序号", "单位", "发生日期", "问题", "扣分"])
        #expect(list.rows.count == 701 && list.rows[699][0] == "700")
        #expect(Set(list.rows.dropLast().map(\.[3])) == Set(notice.content.groups.flatMap(\.units).flatMap(\.entries).map(\.facts)))
        #expect(list.align.last == .right)
        // The deductions it carries are unchanged (issue 15).
        #expect(notice.deductionIds == Array(1...700))
        // A county's notice sums up by unit.
        let county = NoticeDocument(Self.sample(count: 12, city: false))
        #expect(Self.tables(county.blocks).first?.header == ["序号", "单位", "扣分项数", "扣分"])
    }

    @Test func aTypicalCaseSaysEachThingOnce() {
        let e = NoticeContent.Entry(deductionId: 1, item: "D8", itemTitle: "值班电话无人接听", facts: "市消防救援支队值班电话于2026年2月12日连续3次无人接听，扣\(Points(2))分",
                                    points: 2, occurredOn: "2026年2月12日")
        #expect(NoticeDocument.typicalCase(unit: "市消防救援支队", e) == "市消防救援支队：值班电话于2026年2月12日连续3次无人接听，扣2分。")
        let late = NoticeContent.Entry(deductionId: 2, item: "D9", itemTitle: "到场超时", facts: "市气象局首批处置力量55分1秒到场，超过20分钟时限35分1秒",
                                       points: 2, occurredOn: "2026年1月13日")
        #expect(NoticeDocument.typicalCase(unit: "市气象局", late) == "市气象局：2026年1月13日，首批处置力量55分1秒到场，超过20分钟时限35分1秒，扣2分。")
        // The city's notice where one jurisdiction has every deduction sums up by unit.
        var one = Self.sample(count: 20)
        one.content.groups = [one.content.groups[0]]
        one.content.count = one.content.groups[0].units.reduce(0) { $0 + $1.entries.count }
        #expect(Self.tables(NoticeDocument(one).blocks).first?.header == ["序号", "单位", "扣分项数", "扣分"])
    }

    @Test func sectionsWithNothingToSayAreLeftOut() throws {
        var notice = Self.sample(count: 0, work: .init(phoneChecks: 0, unitsCalled: 0, drills: 0, meetings: 0, dispatches: 0))
        var d = NoticeDocument(notice)
        #expect(Self.headings(d) == ["一、有关要求"])
        #expect(Self.tables(d.blocks).isEmpty && d.annex == nil)
        #expect(Self.paragraphs(d).contains("经检查，本期未发现需扣分的问题。"))
        #expect(!Self.paragraphs(d).joined().contains("0次"))
        let html = NoticeExport.html(notice)
        #expect(!html.contains("<table") && !html.contains("附件"))
        // No requirements typed: no such section either.
        notice.requirements = ""
        d = NoticeDocument(notice)
        #expect(Self.headings(d).isEmpty)
    }

    @Test func aDraftIsUndatedAndAPublishedNoticeDated() throws {
        let draft = NoticeDocument(Self.sample(count: 3))
        #expect(draft.date == nil && draft.dateText == "成文日期：发布时填写")
        #expect(NoticeExport.html(Self.sample(count: 3)).contains("<p class=\"sign\">成文日期：发布时填写</p>"))
        let published = NoticeDocument(Self.sample(count: 3, status: "published"))
        #expect(published.dateText == "2026年4月3日")
    }

    @Test func titlesBreakAtPhraseBoundaries() {
        #expect(OfficialTitle.lines("关于2026年第一季度社会应急联动工作监督检查情况的通报") == ["关于2026年第一季度社会应急联动工作", "监督检查情况的通报"])
        #expect(OfficialTitle.lines("关于2026年第一季度社会应急联动工作检查情况的通报") == ["关于2026年第一季度", "社会应急联动工作检查情况的通报"])
        // A short title stays whole; a typed line break is kept.
        #expect(OfficialTitle.lines("关于更正的通报") == ["关于更正的通报"])
        #expect(OfficialTitle.lines("关于2026年第一季度\n社会应急联动工作检查情况的通报") == ["关于2026年第一季度", "社会应急联动工作检查情况的通报"])
        // Every title the system generates: lines of at most 20 characters, never inside a word.
        let words = ["检查", "情况", "监督", "社会", "应急", "联动", "工作", "季度", "半年", "通报", "关于", "2026", "1月", "12月", "1日", "31日"]
        var periods: [Period] = [.year(2026)] + (1...4).map { .quarter(2026, $0) } + (1...2).map { .halfYear(2026, $0) } + (1...12).map { .month(2026, $0) }
        periods.append(Period(start: LocalDate(year: 2026, month: 1, day: 1)!, end: LocalDate(year: 2026, month: 4, day: 1)!))
        for period in periods {
            for title in ["关于\(period.label)社会应急联动工作检查情况的通报", "关于\(period.label)社会应急联动工作监督检查情况的通报"] {
                let lines = OfficialTitle.lines(title)
                #expect(lines.joined() == title)
                #expect(lines.allSatisfy { OfficialTitle.width($0) <= 20 } || lines.count == 1, "\(lines)")
                for (a, b) in zip(lines, lines.dropFirst()) {
                    let seam = String(a.suffix(3)) + "|" + String(b.prefix(3))
                    for w in words {
                        for cut in 1..<w.count {
                            #expect(!seam.contains(String(w.prefix(cut)) + "|" + String(w.dropFirst(cut))), "\(title): \(lines)")
                        }
                    }
                    #expect(!(a.last!.isNumber && b.first!.isNumber))
                }
            }
        }
    }

    /// The DOCX of a quarter's ~700 deductions: the numbers right-aligned (w:jc right), the
    /// title broken between words, and 附件 on a page of its own after a body under 10 pages
    /// (LibreOffice renders it when installed).
    @Test func theWordFileOfADemoQuarterIsShortWithItsListAnnexed() throws {
        let notice = Self.sample(count: 700)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("notice-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let docx = dir.appendingPathComponent("notice.docx")
        try NoticeExport.docx(notice).write(to: docx)
        let script = """
        import json, re, sys, zipfile
        x = zipfile.ZipFile(sys.argv[1]).read("word/document.xml").decode("utf-8")
        def text(s): return "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", s))
        tables = []
        for t in re.findall(r"<w:tbl>.*?</w:tbl>", x, re.S):
            rows = []
            for r in re.findall(r"<w:tr>.*?</w:tr>", t, re.S):
                rows.append([[text(c), (re.findall(r'<w:jc w:val="(\\w+)"/>', c) or [""])[0]] for c in re.findall(r"<w:tc>.*?</w:tc>", r, re.S)])
            tables.append(rows)
        paras = re.findall(r"<w:p>.*?</w:p>", x, re.S)
        title = [p for p in paras if 'w:pStyle w:val="Title"' in p][0]
        annex = [p for p in paras if text(p) == "附件"]
        print(json.dumps({"tables": tables, "title": text(title.replace("<w:br/>", "<w:t>|</w:t>")),
                          "annex_break": bool(annex) and "<w:pageBreakBefore/>" in annex[0], "annex_hei": bool(annex) and "黑体" in annex[0],
                          "placeholder": "成文日期：发布时填写" in text(x)}, ensure_ascii=False))
        """
        let result = try runProcess("python3", ["-c", script, docx.path])
        try #require(result.status == 0, "\(result.stderr)")
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let tables = try #require(parsed["tables"] as? [[[[String]]]])
        // The summary, the annex's list, the 版记.
        #expect(tables.count == 3)
        for table in tables.prefix(2) {
            let header = table[0].map { $0[0] }
            for column in header.indices where ["扣分", "扣分项数", "涉及单位"].contains(header[column]) {
                #expect(table.dropFirst().allSatisfy { $0[column][1] == "right" }, "\(header[column])")
            }
            #expect(table.dropFirst().allSatisfy { $0[1][1] == "left" })
        }
        #expect(tables[1].count == 702)
        #expect(parsed["title"] as? String == "关于2026年第一季度社会应急联动工作|监督检查情况的通报")
        #expect(parsed["annex_break"] as? Bool == true && parsed["annex_hei"] as? Bool == true)
        #expect(parsed["placeholder"] as? Bool == true)

        guard (try? runProcess("which", ["soffice"]).status) == 0 else {
            print("note: LibreOffice not installed; the page count is bounded by the structure only (one summary table, at most six cases)")
            return
        }
        let profile = dir.appendingPathComponent("profile").absoluteString
        let convert = try runProcess("soffice", ["-env:UserInstallation=\(profile)", "--headless", "--convert-to", "pdf", "--outdir", dir.path, docx.path])
        let pdf = dir.appendingPathComponent("notice.pdf")
        try #require(convert.status == 0 && FileManager.default.fileExists(atPath: pdf.path), "\(convert.stderr)")
        let text = try runProcess("pdftotext", ["-raw", pdf.path, "-"])
        try #require(text.status == 0, "\(text.stderr)")
        let pages = text.stdout.components(separatedBy: "\u{0C}").map { $0.filter { !$0.isWhitespace } }.filter { !$0.isEmpty }
        let annexPage = try #require(pages.firstIndex { $0.hasPrefix("附件扣分明细表") }, "no page begins with 附件")
        print("notice of 700 deductions: \(annexPage) pages before the annex, \(pages.count) in all")
        #expect(annexPage < 10)
        #expect(annexPage >= 1 && !pages[..<annexPage].joined().contains("发生日期"))
        #expect(pages[annexPage...].joined().contains("事件110-700"))
        #expect(pages[annexPage - 1].contains("成文日期：发布时填写"))
    }
}
