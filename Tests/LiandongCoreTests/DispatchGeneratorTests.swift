import Foundation
import Testing
@testable import LiandongCore

@Suite("Dispatch generator: seeded synthetic 110 linkage dispatches")
struct DispatchGeneratorTests {
    static let units = GeneratorUnit.annex2City
    static let byName = Dictionary(uniqueKeysWithValues: units.map { ($0.name, $0) })
    static let year = Period.year(2026)

    /// One unit's part in one incident, as the judging code sees it.
    struct Dispatch {
        var incidentID: String
        var unit: GeneratorUnit
        var events: [DispatchEventInput]

        func first(_ type: DispatchEventType) -> Date? { events.first { $0.type == type }?.at }
        func count(_ type: DispatchEventType) -> Int { events.count { $0.type == type } }

        func timeline() -> DispatchTimeline {
            DispatchTimeline(incidentID: incidentID, unitID: unit.id, level: unit.level, publicSecurity: unit.publicSecurity,
                             events: events.map { .init(type: $0.type, at: $0.at, onSiteRequired: $0.onSiteRequired, exercise: $0.exercise) })
        }
    }

    static func dispatches(_ events: [DispatchEventInput], units: [GeneratorUnit] = units) -> [Dispatch] {
        let byName = Dictionary(uniqueKeysWithValues: units.map { ($0.name, $0) })
        var order: [String] = []
        var grouped: [String: Dispatch] = [:]
        for event in events {
            let key = event.incidentID + "|" + event.unit
            if grouped[key] == nil {
                order.append(key)
                grouped[key] = Dispatch(incidentID: event.incidentID, unit: byName[event.unit]!, events: [])
            }
            grouped[key]!.events.append(event)
        }
        return order.map { grouped[$0]! }
    }

    /// 20,000 dispatches over 2026 for the 46 Annex 2 units, shared by the statistical tests.
    static let yearOfEvents: [DispatchEventInput] = {
        var generator = DispatchGenerator(units: units, rules: .initial, seed: 20_260_301)
        return generator.events(in: year, dispatches: 20_000)
    }()
    static let yearOfDispatches = dispatches(yearOfEvents)
    /// Well after the period: every dispatch is settled.
    static let later = Period.year(2027).endInstant

    func share(_ part: Int, of whole: Int) -> Double { Double(part) / Double(whole) }
    /// Five standard errors of a share `p` measured over `n` draws: a tolerance a correct
    /// generator essentially never misses and a wrong share soon does.
    func tolerance(_ p: Double, _ n: Int) -> Double { 5 * (p * (1 - p) / Double(n)).squareRoot() }

    // MARK: Shape

    @Test func sameSeedSameOutputOtherSeedOtherOutput() {
        var a = DispatchGenerator(units: Self.units, rules: .initial, seed: 7)
        var b = DispatchGenerator(units: Self.units, rules: .initial, seed: 7)
        var c = DispatchGenerator(units: Self.units, rules: .initial, seed: 8)
        let period = Period.month(2026, 3)
        let first = a.events(in: period, dispatches: 500)
        #expect(first == b.events(in: period, dispatches: 500))
        #expect(a.jsonLines(in: period, dispatches: 300) == b.jsonLines(in: period, dispatches: 300))
        let other = c.events(in: period, dispatches: 500)
        #expect(other != first)
        #expect(other.map(\.at) != first.map(\.at))
        #expect(first.allSatisfy { $0.eventID.hasPrefix("G7-") } && other.allSatisfy { $0.eventID.hasPrefix("G8-") })
    }

    @Test func eventIDsAreUniqueInTimeOrderAndNeverReusedByLaterCalls() {
        var generator = DispatchGenerator(units: Self.units, rules: .initial, seed: 42)
        let march = generator.events(in: .month(2026, 3), dispatches: 400)
        let alsoMarch = generator.events(in: .month(2026, 3), dispatches: 400)
        let all = march + alsoMarch
        #expect(Set(all.map(\.eventID)).count == all.count)
        #expect(march.map(\.eventID).prefix(3) == ["G42-1", "G42-2", "G42-3"])
        #expect(alsoMarch.first?.eventID == "G42-\(march.count + 1)")
        // Incident ids stay unique too: the second call continues each day's counter.
        let pairs = Self.dispatches(all).map { $0.incidentID + "|" + $0.unit.name }
        #expect(Set(pairs).count == 800)
    }

    @Test func eventsAreSortedAndInsideThePeriod() {
        for period in [Self.year, Period.month(2026, 2), Period(start: LocalDate("2026-03-01")!, end: LocalDate("2026-03-02")!)] {
            var generator = DispatchGenerator(units: Self.units, rules: .initial, seed: 3)
            let events = generator.events(in: period, dispatches: 2_000)
            #expect(!events.isEmpty)
            #expect(events.allSatisfy { period.contains($0.at) }, "\(period)")
            #expect(zip(events, events.dropFirst()).allSatisfy { $0.at <= $1.at })
            #expect(events.allSatisfy { $0.at.timeIntervalSince1970 == $0.at.timeIntervalSince1970.rounded() })
        }
    }

    @Test func everyDispatchIsOneInstructionFollowedByItsSteps() {
        let dispatches = Self.yearOfDispatches
        #expect(dispatches.count == 20_000)
        for d in dispatches {
            #expect(d.count(.instructed) == 1, "\(d.incidentID) \(d.unit.name)")
            #expect(d.count(.closed) == 1)
            #expect(d.count(.acknowledged) == 1)
            #expect(d.events.allSatisfy { $0.type == .instructed ? $0.onSiteRequired != nil : $0.onSiteRequired == nil })
            let instructed = d.first(.instructed)!
            for type in [DispatchEventType.acknowledged, .arrived, .arrivalReported, .resultReported, .refused, .passedOn, .closed] {
                if let at = d.first(type) { #expect(at >= instructed, "\(type) before instructed in \(d.incidentID)") }
            }
            #expect(d.events.last?.type == .closed)
            if let arrived = d.first(.arrived) {
                #expect(d.first(.arrivalReported)! >= arrived)
                #expect(d.first(.resultReported).map { $0 >= arrived } ?? true)
            }
            // One course: refused, passed on or arrived, never two.
            #expect(d.count(.refused) + d.count(.passedOn) + d.count(.arrived) <= 1)
            #expect(d.count(.arrived) == d.count(.arrivalReported))
            if d.events[0].onSiteRequired == false { #expect(d.count(.arrived) == 0) }
        }
        #expect(Self.yearOfEvents.allSatisfy { !$0.exercise })
    }

    @Test func incidentIDsCarryTheDayAndTheDaysCounterInTimeOrder() throws {
        let regex = try Regex(#"^110-(\d{8})-(\d{4})$"#)
        var firstInstruction: [String: Date] = [:]
        for event in Self.yearOfEvents where event.type == .instructed && firstInstruction[event.incidentID] == nil {
            firstInstruction[event.incidentID] = event.at
        }
        var byDay: [String: [(Int, Date)]] = [:]
        for (id, at) in firstInstruction {
            let match = try #require(id.wholeMatch(of: regex))
            let day = String(id[match.output[1].range!])
            #expect(day == LocalDate(at).description.replacingOccurrences(of: "-", with: ""), "\(id)")
            byDay[day, default: []].append((Int(id[match.output[2].range!])!, at))
        }
        #expect(byDay.count > 350)
        for (day, incidents) in byDay {
            let sorted = incidents.sorted { $0.0 < $1.0 }
            #expect(sorted.map(\.0) == Array(1...sorted.count), "\(day)")
            #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0.1 <= $1.1 }, "\(day)")
        }
        // About a quarter of incidents instruct a second unit.
        let twoUnits = Self.yearOfDispatches.count - firstInstruction.count
        let p = DispatchGenerator.Profile().secondUnitShare
        #expect(abs(share(twoUnits, of: firstInstruction.count) - p) < tolerance(p, firstInstruction.count))
    }

    // MARK: Realism against the judging code

    @Test("20,000 dispatches: the late share is the profile's, and nothing at or under the limit is late")
    func judgedLateShareAndTheLimitBoundary() {
        let rules = RuleSet.initial
        let profile = DispatchGenerator.Profile()
        var judged = 0, late = 0, atLimit = 0, refused = 0, passedOn = 0, noArrival = 0, onSite = 0
        var handled = 0, noResult = 0
        var lateBands: [Points: Int] = [:]
        for d in Self.yearOfDispatches {
            let timeline = d.timeline()
            let (arrival, findings) = timeline.judge(rules: rules, unitName: d.unit.name, now: Self.later)
            let kinds = findings.map(\.kind)
            if timeline.onSiteRequired { onSite += 1 }
            if kinds.contains(.refused) { refused += 1 }
            if kinds.contains(.passedOn) { passedOn += 1 }
            // A passed-on dispatch is not also judged as not arrived (one behaviour, one finding).
            #expect(!(kinds.contains(.noArrival) && (kinds.contains(.passedOn) || kinds.contains(.refused))), "\(d.incidentID)")
            if kinds.contains(.noArrival) { noArrival += 1 }
            if let arrival {
                judged += 1
                let limit = rules.limit(level: d.unit.level, publicSecurity: d.unit.publicSecurity)
                #expect(arrival.limit == limit)
                if arrival.elapsedSeconds <= limit.seconds {
                    #expect(!findings.contains { $0.item == .d9 }, "\(d.incidentID) \(d.unit.name): on time yet D9")
                    #expect(arrival.elapsedSeconds >= 0)
                    if arrival.elapsedSeconds == limit.seconds { atLimit += 1 }
                } else {
                    late += 1
                    #expect(findings.contains { $0.item == .d9 })
                    #expect(arrival.lateBySeconds <= profile.maxLateness)
                    lateBands[arrival.points!, default: 0] += 1
                }
            }
            if d.count(.arrived) == 1 || (!timeline.onSiteRequired && !timeline.refused && !timeline.passedOn) {
                handled += 1
                if kinds.contains(.noReportBack) { noResult += 1 }
            }
        }
        let n = Self.yearOfDispatches.count
        #expect(judged > 15_000)
        #expect(abs(share(late, of: judged) - profile.lateShare) <= 0.015, "late \(late) of \(judged)")
        #expect(abs(share(refused, of: n) - profile.refusedShare) <= tolerance(profile.refusedShare, n), "refused \(refused)")
        #expect(abs(share(passedOn, of: n) - profile.passedOnShare) <= tolerance(profile.passedOnShare, n), "passed on \(passedOn)")
        #expect(abs(share(noArrival, of: onSite) - profile.noArrivalShare) <= tolerance(profile.noArrivalShare, onSite))
        #expect(abs(share(noResult, of: handled) - profile.missingResultShare) <= tolerance(profile.missingResultShare, handled))
        // Arrivals exactly at the limit occur (and were on time, above), and every lateness band is reached.
        #expect(atLimit > 0)
        #expect(Set(lateBands.keys) == Set(rules.latenessBands.map(\.points)))
        #expect(lateBands[Points(0.5)]! > lateBands[Points(2.0)]!)
    }

    @Test func levelOneIsChosenMostAndLevelThreeTurnsOutLessOften() {
        var perLevel: [UnitLevel: Int] = [:], onSite: [UnitLevel: Int] = [:]
        for d in Self.yearOfDispatches {
            perLevel[d.unit.level, default: 0] += 1
            if d.events[0].onSiteRequired == true { onSite[d.unit.level, default: 0] += 1 }
        }
        let unitsPerLevel = Dictionary(grouping: Self.units, by: \.level).mapValues(\.count)
        let rate = { (level: UnitLevel) in Double(perLevel[level]!) / Double(unitsPerLevel[level]!) }
        #expect(rate(.one) > 2 * rate(.two) && rate(.two) > 1.5 * rate(.three))
        let profile = DispatchGenerator.Profile()
        let three = perLevel[.three]!, others = perLevel[.one]! + perLevel[.two]!
        #expect(abs(share(onSite[.three]!, of: three) - profile.levelThreeOnSiteRequiredShare) <= tolerance(0.5, three))
        #expect(abs(share(onSite[.one]! + onSite[.two]!, of: others) - profile.onSiteRequiredShare) <= tolerance(0.9, others))
        // Every unit is instructed at some point in a year.
        #expect(Set(Self.yearOfDispatches.map(\.unit.id)) == Set(1...46))
    }

    @Test func moreIncidentsByDayThanAtNight() {
        var day = 0, night = 0
        for event in Self.yearOfEvents where event.type == .instructed {
            let hour = ChinaTime.calendar.component(.hour, from: event.at)
            if (8..<20).contains(hour) { day += 1 } else { night += 1 }
        }
        #expect(Double(day) > 1.6 * Double(night), "day \(day), night \(night)")
        #expect(night > 0)
    }

    @Test("The limits come from the rule set, the shares from the profile")
    func limitsFromRulesSharesFromProfile() {
        var rules = RuleSet.initial
        rules.responseLimits.publicSecurity = .minutes(15)
        rules.responseLimits.levelTwo = .minutes(45)
        var profile = DispatchGenerator.Profile()
        profile.lateShare = 0.3
        profile.secondUnitShare = 0
        profile.exerciseShare = 1
        var generator = DispatchGenerator(units: Self.units, rules: rules, seed: 11, profile: profile)
        let dispatches = Self.dispatches(generator.events(in: .quarter(2026, 2), dispatches: 6_000))
        #expect(Set(dispatches.map(\.incidentID)).count == 6_000)
        #expect(dispatches.allSatisfy { $0.events.allSatisfy(\.exercise) })
        var arrivals = 0, late = 0
        // On-time arrivals of the police and of level 2, and those beyond the initial rules' limits.
        var police = (onTime: 0, beyondTen: 0), levelTwo = (onTime: 0, beyondThirty: 0)
        for d in dispatches {
            guard d.events[0].onSiteRequired == true, let arrived = d.first(.arrived) else { continue }
            let limit = rules.limit(level: d.unit.level, publicSecurity: d.unit.publicSecurity).seconds
            let elapsed = RuleSet.elapsedSeconds(from: d.first(.instructed)!, to: arrived)
            arrivals += 1
            if elapsed > limit { late += 1; continue }
            if d.unit.publicSecurity { police.onTime += 1; if elapsed > 600 { police.beyondTen += 1 } }
            if d.unit.level == .two { levelTwo.onTime += 1; if elapsed > 1800 { levelTwo.beyondThirty += 1 } }
        }
        #expect(abs(share(late, of: arrivals) - 0.3) <= tolerance(0.3, arrivals))
        // On-time arrivals spread up to the new limits: about 300/675 of the police's lie beyond
        // 10 minutes and 900/2025 of level 2's beyond 30 (had the old limits been used, only a
        // few late arrivals would land there).
        #expect(police.onTime > 100 && share(police.beyondTen, of: police.onTime) > 0.3)
        #expect(levelTwo.onTime > 300 && share(levelTwo.beyondThirty, of: levelTwo.onTime) > 0.3)
        // Exercises are never judged as live dispatches.
        #expect(dispatches.allSatisfy { $0.timeline().judge(rules: rules, unitName: $0.unit.name, now: Self.later).findings.isEmpty })
    }

    // MARK: JSON Lines

    @Test func jsonLinesRoundTripThroughTheParser() throws {
        var profile = DispatchGenerator.Profile()
        profile.exerciseShare = 0.1
        var a = DispatchGenerator(units: Self.units, rules: .initial, seed: 99, profile: profile)
        var b = DispatchGenerator(units: Self.units, rules: .initial, seed: 99, profile: profile)
        let events = a.events(in: .month(2026, 3), dispatches: 3_000)
        let data = b.jsonLines(in: .month(2026, 3), dispatches: 3_000)
        let parsed = try DispatchEventParser.parseJSONLines(data, dates: .unbounded)
        #expect(parsed.count == events.count)
        #expect(parsed == events)
        #expect(events.contains { $0.exercise } && events.contains { !$0.exercise })

        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == events.count)
        for (line, event) in zip(lines, events).prefix(200) {
            #expect(line.contains("\"at\":\"\(ChinaTime.isoString(event.at))\""))
            #expect(line.contains("on_site_required") == (event.type == .instructed))
            #expect(line.contains("\"exercise\"") == event.exercise)
            #expect(!line.contains("note"))
        }
    }

    @Test func jsonLinesEscapeWhatJSONRequires() throws {
        let odd = [GeneratorUnit(id: 1, name: "水务\"集团\"\\东区 值班", level: .one),
                   GeneratorUnit(id: 2, name: "市公安局", level: .one, publicSecurity: true)]
        var generator = DispatchGenerator(units: odd, rules: .initial, seed: 5)
        var events = generator.events(in: .month(2026, 12), dispatches: 50)
        // Names and ids carry no control characters (they are refused); a note may.
        events[0].note = "第一行\n第二行\t附注"
        let parsed = try DispatchEventParser.parseJSONLines(DispatchGenerator.jsonLines(events), dates: .unbounded)
        #expect(parsed == events)
        #expect(Set(parsed.map(\.unit)) == Set(odd.map(\.name)))
        // The last day of the year: a timestamp written for 23:xx on 2026-12-31 stays on that day.
        #expect(parsed.allSatisfy { Period.month(2026, 12).contains($0.at) })
    }

    @Test func civilDatesMatchTheCalendar() {
        var day = LocalDate("1999-12-25")!
        for _ in 0..<800 {
            let seconds = DispatchGenerator.epochSeconds(day.start)
            let number = DispatchGenerator.dayNumber(seconds)
            #expect(DispatchGenerator.dayNumber(seconds + 86_399) == number)
            let (y, m, d) = DispatchGenerator.civil(number)
            #expect(LocalDate(year: y, month: m, day: d) == day)
            day = day.adding(days: 3)
        }
    }

    @Test("100,000 dispatches: half a million events, written as JSON Lines")
    func largeVolume() throws {
        var generator = DispatchGenerator(units: Self.units, rules: .initial, seed: 1)
        let data = generator.jsonLines(in: Self.year, dispatches: 100_000)
        let lines = data.count { $0 == UInt8(ascii: "\n") }
        #expect(lines > 450_000 && lines < 650_000)
        let instructed = try Regex("\"type\":\"instructed\"")
        #expect(String(decoding: data, as: UTF8.self).matches(of: instructed).count == 100_000)
    }
}

@Suite("Dispatch generator: unit choice at the edges")
struct DispatchGeneratorUnitChoiceTests {
    @Test func unitsOfWeightZeroAreNeverChosenAndOneUnitIsNeverInstructedTwice() {
        var profile = DispatchGenerator.Profile()
        profile.levelWeights = [.one: 1, .two: 0]
        profile.secondUnitShare = 1
        let units = [GeneratorUnit(id: 1, name: "甲", level: .one), GeneratorUnit(id: 2, name: "乙", level: .two),
                     GeneratorUnit(id: 3, name: "丙", level: .three)]
        var generator = DispatchGenerator(units: units, rules: .initial, seed: 2, profile: profile)
        let events = generator.events(in: .month(2026, 5), dispatches: 200)
        // Only 甲 can be chosen, so no incident instructs a second unit.
        #expect(Set(events.map(\.unit)) == ["甲"])
        #expect(events.count { $0.type == .instructed } == 200)
        #expect(Set(events.map(\.incidentID)).count == 200)

        profile.levelWeights = [.one: 1, .two: 1, .three: 1]
        var both = DispatchGenerator(units: Array(units.prefix(2)), rules: .initial, seed: 2, profile: profile)
        let pairs = DispatchGeneratorTests.dispatches(both.events(in: .month(2026, 5), dispatches: 200), units: units)
        #expect(Set(pairs.map(\.incidentID)).count == 100)
        #expect(Dictionary(grouping: pairs, by: \.incidentID).values.allSatisfy { Set($0.map(\.unit.name)) == ["甲", "乙"] })
    }
}
