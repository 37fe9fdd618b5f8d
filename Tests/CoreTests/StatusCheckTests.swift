import Foundation
import Testing
@testable import ZephirCore

/// The decision of `status --check` (SPEC §9), case by case, on status reports built in code.
@Suite struct StatusCheckTests {
    let now = RFC3339.parse("2026-12-01T12:00:00Z")!

    func source(_ name: String, expiresInDays days: Double? = 90, lastResult: String? = "unchanged", enabled: Bool = true) -> StatusReport.Source {
        StatusReport.Source(name: name, kind: "eole", url: nil, priority: 100, enabled: enabled, held: false,
                            installedVersion: days == nil ? nil : 3, digest: days == nil ? nil : "ab", expires: days.map { RFC3339.format(now.addingTimeInterval($0 * 86400)) },
                            expiryWarning: nil, lastAttempt: nil, lastResult: lastResult, lastMessage: nil)
    }

    func report(_ sources: [StatusReport.Source], open: [String: Int] = [:]) -> StatusReport {
        StatusReport(database: "sqlite:x.db", sources: sources, rootModels: 5, localModels: 1, openConflicts: open, lastRun: nil)
    }

    func evaluate(_ report: StatusReport, lastSuccessHoursAgo hours: Double? = 1, maxAge: TimeInterval = StatusCheck.defaultMaxAge) -> StatusCheck {
        StatusCheck.evaluate(report, lastSuccessfulRun: hours.map { now.addingTimeInterval(-$0 * 3600) }, now: now, maxAge: maxAge)
    }

    @Test func allGoodIsOK() {
        let check = evaluate(report([source("eole"), source("acme")], open: ["info": 2]))
        #expect(check.state == .ok)
        #expect(check.line.hasPrefix("ZEPHIR-MODELS OK - 2 of 2 sources installed, 5 root and 1 local models, last successful run 1 h ago | sources=2;;;0; "))
        #expect(check.perfdata.contains("conflicts_info=2;;;0;"))
        #expect(check.perfdata.contains("last_success_age=3600s;;93600;0;"))
    }

    @Test(arguments: [(29.5, StatusCheck.State.warning), (30.5, .ok), (0.5, .warning), (-0.1, .critical)])
    func expiryThresholds(days: Double, state: StatusCheck.State) {
        #expect(evaluate(report([source("eole", expiresInDays: days)])).state == state)
    }

    @Test(arguments: [(29.5, StatusCheck.State.warning), (30.5, .ok), (-0.1, .critical)])
    func rootExpiryThresholds(days: Double, state: StatusCheck.State) {
        var eole = source("eole")
        eole.root = StatusReport.Root(version: 2, rootKeyIDs: ["aa"], rootThreshold: 1, indexKeyIDs: ["bb"], indexThreshold: 1,
                                      expires: RFC3339.format(now.addingTimeInterval(days * 86400)), expiryWarning: nil)
        let check = evaluate(report([eole]))
        #expect(check.state == state)
        if state != .ok { #expect(check.line.contains("eole: root 2 expire"), "\(check.line)") }
    }

    @Test func theWorstFindingDecidesAndComesFirst() {
        let check = evaluate(report([source("eole", lastResult: "rejected"), source("acme", expiresInDays: nil)], open: ["warning": 1, "error": 2]))
        #expect(check.state == .critical)
        #expect(check.problems.map(\.state) == [.critical, .critical, .warning, .warning])
        #expect(check.problems.map(\.message) == [
            "acme: never installed", "2 open error conflicts (zephir-models conflicts --severity error)",
            "eole: last attempt rejected, version 3 kept", "1 open warning conflict (zephir-models conflicts)",
        ])
        #expect(check.line.hasPrefix("ZEPHIR-MODELS CRITICAL - acme: never installed; 2 open error conflicts"))
    }

    @Test func maxAgeAndNoRunAtAll() {
        #expect(evaluate(report([source("eole")]), lastSuccessHoursAgo: 27).state == .critical)
        #expect(evaluate(report([source("eole")]), lastSuccessHoursAgo: 25).state == .ok)
        #expect(evaluate(report([source("eole")]), lastSuccessHoursAgo: 3, maxAge: 2 * 3600).problems.map(\.message) == ["no successful run for 3 h (more than 2 h)"])
        #expect(evaluate(report([source("eole")]), lastSuccessHoursAgo: nil).state == .critical)
    }

    @Test func disabledSourcesAreIgnoredAndUnknownKeepsOneLine() {
        #expect(evaluate(report([source("eole"), source("old", expiresInDays: nil, enabled: false)])).state == .ok)
        let unknown = StatusCheck.unknown("config.yml:2: bad\nsecond line")
        #expect(unknown.state == .unknown && unknown.state.rawValue == 3)
        #expect(unknown.line == "ZEPHIR-MODELS UNKNOWN - config.yml:2: bad second line")
    }
}
