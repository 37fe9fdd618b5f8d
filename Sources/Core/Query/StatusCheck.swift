import Foundation

/// `status --check` (SPEC §9): one line and a monitoring-plugin state for Nagios, Icinga and
/// Centreon, with performance data after `|`.
///
/// - OK: every enabled source is installed, none expires within ``expiryWarningDays``, nothing is open.
/// - WARNING: an index or a trusted root expires within ``expiryWarningDays``, a source failed its last attempt
///   but keeps content, or warnings are open.
/// - CRITICAL: an index has expired, an enabled source was never installed, errors are open, or
///   no run succeeded within `maxAge`.
/// - UNKNOWN: the configuration or the database could not be read (``unknown(_:)``).
///
/// ``evaluate(_:lastSuccessfulRun:now:maxAge:)`` is pure; ``build(config:store:now:maxAge:)``
/// reads what it needs through the store's queries.
public struct StatusCheck: Sendable, Codable, Equatable {
    /// The monitoring-plugin states; the raw value is the exit code.
    public enum State: Int32, Sendable, Codable, Comparable {
        case ok = 0, warning = 1, critical = 2, unknown = 3

        public var label: String {
            switch self {
            case .ok: return "OK"
            case .warning: return "WARNING"
            case .critical: return "CRITICAL"
            case .unknown: return "UNKNOWN"
            }
        }

        public static func < (a: State, b: State) -> Bool { a.rawValue < b.rawValue }
    }

    /// One finding, with the state it raises.
    public struct Problem: Sendable, Codable, Equatable {
        public var state: State
        public var message: String
    }

    /// An index expiring within this many days is a warning (SPEC §9).
    public static var expiryWarningDays: Double { StatusReport.expiryWarningDays }
    /// The default `--max-age`: a day and two hours, for the hourly timer of config/systemd/.
    public static let defaultMaxAge: TimeInterval = 26 * 3600

    public var state: State
    /// Worst first.
    public var problems: [Problem]
    /// What the line says when nothing is wrong.
    public var summary: String
    /// Nagios performance data: `label=value[unit];[warn];[crit];[min];[max]`, space-separated.
    public var perfdata: [String]

    /// `ZEPHIR-MODELS STATE - text | perfdata`, the plugin's single line.
    public var line: String {
        let text = problems.isEmpty ? summary : problems.map(\.message).joined(separator: "; ")
        return "ZEPHIR-MODELS \(state.label) - \(text)" + (perfdata.isEmpty ? "" : " | " + perfdata.joined(separator: " "))
    }

    /// The UNKNOWN result when the configuration or the database cannot be read.
    public static func unknown(_ reason: String) -> StatusCheck {
        let flat = reason.split(whereSeparator: \.isNewline).joined(separator: " ")
        return StatusCheck(state: .unknown, problems: [Problem(state: .unknown, message: flat)], summary: flat, perfdata: [])
    }

    /// Reads the status report and the run history, then evaluates them.
    public static func build(config: Config, store: any ModelStore, now: Date = Date(), maxAge: TimeInterval = defaultMaxAge) async throws -> StatusCheck {
        let report = try await StatusReport.build(config: config, store: store, now: now)
        let lastSuccess = try await store.runs(limit: 1000).first { $0.status != .failed }.flatMap { RFC3339.parse($0.finishedAt) }
        return evaluate(report, lastSuccessfulRun: lastSuccess, now: now, maxAge: maxAge)
    }

    /// The state of `report`, as SPEC §9 defines it; `lastSuccessfulRun` is when the last run
    /// that did not fail finished.
    public static func evaluate(_ report: StatusReport, lastSuccessfulRun: Date?, now: Date, maxAge: TimeInterval) -> StatusCheck {
        var problems: [Problem] = []
        var perfdata: [String] = []
        let enabled = report.sources.filter(\.enabled)
        for source in enabled {
            guard source.installedVersion != nil else {
                problems.append(Problem(state: .critical, message: "\(source.name): never installed" + (source.lastMessage.map { " (\($0))" } ?? "")))
                continue
            }
            if let expires = source.expires.flatMap(RFC3339.parse) {
                let days = expires.timeIntervalSince(now) / 86400
                if days <= 0 {
                    problems.append(Problem(state: .critical, message: "\(source.name): index expired \(source.expires!), no update is accepted until its publisher republishes"))
                } else if days < expiryWarningDays {
                    problems.append(Problem(state: .warning, message: "\(source.name): index expires in \(Self.days(days)) (\(source.expires!))"))
                }
                perfdata.append("expiry_days_\(source.name)=\(Self.decimal(days));\(Int(expiryWarningDays)):;0:")
            }
            // SPEC §5.1, §9: an expired newest root freezes the source like an expired index.
            if let root = source.root, let expires = RFC3339.parse(root.expires) {
                let days = expires.timeIntervalSince(now) / 86400
                if days <= 0 {
                    problems.append(Problem(state: .critical, message: "\(source.name): root \(root.version) expired \(root.expires), no update is accepted until its publisher signs a new root"))
                } else if days < StatusReport.rootExpiryWarningDays {
                    problems.append(Problem(state: .warning, message: "\(source.name): root \(root.version) expires in \(Self.days(days)) (\(root.expires))"))
                }
            }
            if source.lastResult == SourceAttempt.Result.rejected.rawValue || source.lastResult == SourceAttempt.Result.unavailable.rawValue {
                problems.append(Problem(state: .warning, message: "\(source.name): last attempt \(source.lastResult!), version \(source.installedVersion!) kept"
                                        + (source.lastMessage.map { " (\($0))" } ?? "")))
            }
        }
        let errors = report.openConflicts[Conflict.Severity.error.rawValue] ?? 0
        let warnings = report.openConflicts[Conflict.Severity.warning.rawValue] ?? 0
        let infos = report.openConflicts[Conflict.Severity.info.rawValue] ?? 0
        if errors > 0 { problems.append(Problem(state: .critical, message: "\(errors) open error conflict\(errors == 1 ? "" : "s") (zephir-models conflicts --severity error)")) }
        if warnings > 0 { problems.append(Problem(state: .warning, message: "\(warnings) open warning conflict\(warnings == 1 ? "" : "s") (zephir-models conflicts)")) }
        if let lastSuccessfulRun {
            let age = now.timeIntervalSince(lastSuccessfulRun)
            if age > maxAge {
                problems.append(Problem(state: .critical, message: "no successful run for \(Self.age(age)) (more than \(Self.age(maxAge)))"))
            }
            perfdata.append("last_success_age=\(Int(age.rounded()))s;;\(Int(maxAge.rounded()));0;")
        } else {
            problems.append(Problem(state: .critical, message: "no successful run yet (zephir-models sync)"))
        }
        let installed = enabled.filter { $0.installedVersion != nil }.count
        perfdata.insert(contentsOf: [
            "sources=\(enabled.count);;;0;", "sources_installed=\(installed);;\(enabled.count):;0;\(enabled.count)",
            "models_root=\(report.rootModels);;;0;", "models_local=\(report.localModels);;;0;",
            "conflicts_error=\(errors);;0;0;", "conflicts_warning=\(warnings);0;;0;", "conflicts_info=\(infos);;;0;",
        ], at: 0)
        problems.sort { $0.state > $1.state }
        let summary = "\(installed) of \(enabled.count) sources installed, \(report.rootModels) root and \(report.localModels) local models"
            + (lastSuccessfulRun.map { ", last successful run \(Self.age(now.timeIntervalSince($0))) ago" } ?? "")
        return StatusCheck(state: problems.first?.state ?? .ok, problems: problems, summary: summary, perfdata: perfdata)
    }

    /// `2 days`, `5 h`, `12 min`, `40 s`.
    static func age(_ seconds: TimeInterval) -> String {
        if seconds >= 2 * 86400 { return "\(Int(seconds / 86400)) days" }
        if seconds >= 3600 { return "\(Int(seconds / 3600)) h" }
        if seconds >= 60 { return "\(Int(seconds / 60)) min" }
        return "\(Int(max(seconds, 0))) s"
    }

    static func days(_ days: Double) -> String {
        days < 1 ? "less than a day" : "\(Int(days)) day\(Int(days) == 1 ? "" : "s")"
    }

    /// Two decimals, `.` as the separator whatever the locale.
    static func decimal(_ value: Double) -> String { String(format: "%.2f", value) }
}
