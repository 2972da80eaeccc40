import Fluent
import Foundation
import LiandongCore
import Testing
import VaporTesting
@testable import LiandongServer

@Suite("Pages: the register in Chinese")
struct PageTests {
    @Test func homePage() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "/", as: admin) { res in
                #expect(res.status == .ok)
                let html = res.body.string
                #expect(html.contains("<html lang=\"zh-CN\">"))
                #expect(html.contains("社会应急联动工作概况"))
                #expect(html.contains("景宁畲族自治县"))
                #expect(html.contains(RuleSet.initial.responseLimits.levelOne.description))
                #expect(html.contains("暂无报备记录"))
            }
        }
    }

    @Test func theHomePageShowsTheSupervisionDutiesToTheAgencies() async throws {
        try await withTestApp { app in
            let police = try await app.signIn(.psb)
            try await app.send(.GET, "/", as: police) { res in
                let html = res.body.string
                #expect(html.contains("监督检查工作"))
                for duty in RuleSet.initial.supervisionDuties { #expect(html.contains(duty.title)) }
                #expect(html.contains("status-due"))
            }
            let liaison = try await app.signIn(.liaison, unitID: 3)
            try await app.send(.GET, "/", as: liaison) { res in #expect(!res.body.string.contains("监督检查工作")) }
        }
    }

    @Test func unitsListFiltersByJurisdictionAndLevel() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "units", as: admin) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("共 46 个单位"))
                #expect(res.body.string.contains("浙江金丽温高速公路有限公司丽水管理处"))
            }
            try await app.send(.GET, "units?jurisdiction=city&level=3&q=%E4%BA%BA%E8%A1%8C", as: admin) { res in
                #expect(res.body.string.contains("共 1 个单位"))
                #expect(res.body.string.contains("人行丽水市中心支行"))
            }
            try await app.send(.GET, "units?level=x", as: admin) { res in
                #expect(res.status == .badRequest)
                #expect(res.body.string.contains("级别应为 1、2 或 3"))
            }
        }
    }

    @Test func unitPageShowsDutiesAndTheReportForm() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "units/1", as: admin) { res in
                let html = res.body.string
                #expect(html.contains("市公安局"))
                #expect(html.contains("10分钟"))
                #expect(html.contains("有统一制服，可不着"))
                #expect(html.contains("<label for=\"liaison_mobile\">联络员手机</label>"))
                #expect(html.contains("尚无报备记录"))
            }
            try await app.send(.GET, "units/424242", as: admin) { res in
                #expect(res.status == .notFound)
                #expect(res.body.string.contains("未找到编号为 424242 的联动单位"))
            }
        }
    }

    @Test func contactChangeFormRecordsAReport() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.POST, "units/7/contacts", as: admin, form: [
                "duty_phone": "0578-2999999", "liaison_name": "陈七", "liaison_mobile": "13600000000",
                "reported_at": "2026-03-04T09:10", "channel": "wechat", "reported_by": "陈七", "_csrf": admin.csrf,
            ]) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location) == "/units/7?saved=1")
            }
            try await app.send(.GET, "units/7?saved=1", as: admin) { res in
                let html = res.body.string
                #expect(html.contains("报备已登记"))
                #expect(html.contains("2026年3月4日 09:10"))
                #expect(html.contains("微信联络员群"))
                #expect(html.contains("陈七 13600000000"))
            }
        }
    }

    @Test func aBadValueReshowsTheFormAndStoresNothing() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.POST, "units/8/contacts", as: admin,
                               form: ["duty_phone": "12", "liaison_name": "", "liaison_mobile": "", "reported_by": "甲"]) { res in
                #expect(res.status == .unprocessableEntity)
                let html = res.body.string
                #expect(html.contains("值班电话：“12”不是有效的电话号码"))
                #expect(html.contains("id=\"duty_phone\" name=\"duty_phone\" value=\"12\" placeholder=\"0578-2123456\" aria-invalid=\"true\""))
            }
            #expect(try await ContactChange.query(on: app.db).count() == 0)
        }
    }

    @Test func rulesPageShowsTheCatalogue() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "rules", as: admin) { res in
                let html = res.body.string
                #expect(html.contains("公安部门首批应急力量10分钟内到达"))
                #expect(html.contains("迟到超过30分钟 <strong>2.0</strong>分"))
                #expect(html.contains("0.5至2.0分"))
            }
        }
    }

    @Test func exportDownloads() async throws {
        try await withTestApp { app in
            let admin = try await app.signIn(.admin)
            try await app.send(.GET, "units/export?format=xlsx&jurisdiction=city", as: admin) { res in
                #expect(res.status == .ok)
                #expect(res.headers.contentType == RegisterFiles.xlsxType)
                #expect(res.headers.first(name: .contentDisposition)?.contains("filename*=UTF-8''") == true)
                #expect(res.body.readableBytes > 1000)
            }
            try await app.send(.GET, "units/export?format=pdf", as: admin) { res in
                #expect(res.status == .badRequest)
            }
        }
    }
}
